package domain

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Money is an amount in integer minor units (cents, pence) of Currency.
// Floats never hold money anywhere in AccountBot.
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// zeroDecimal lists ISO 4217 currencies without a minor unit.
var zeroDecimal = map[string]bool{"JPY": true, "KRW": true, "VND": true, "CLP": true, "ISK": true, "HUF": false}

// MinorDigits is the number of minor-unit digits of an ISO 4217 currency.
func MinorDigits(currency string) int {
	if zeroDecimal[strings.ToUpper(currency)] {
		return 0
	}
	return 2
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// MajorString renders minor units as a plain major-unit decimal ("1250.5"
// is written "1250.50"); used for JSON numbers and files.
func MajorString(minor int64, currency string) string {
	d := MinorDigits(currency)
	if d == 0 {
		return strconv.FormatInt(minor, 10)
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	p := pow10(d)
	return fmt.Sprintf("%s%d.%0*d", sign, minor/p, d, minor%p)
}

var symbols = map[string]string{"USD": "$", "GBP": "£", "EUR": "€", "JPY": "¥", "AUD": "A$", "CAD": "C$"}

// Format renders money for people: "$750,000", "£10,300", "1,200 CHF".
// Minor units are shown only when they are not zero.
func (m Money) Format() string {
	d := MinorDigits(m.Currency)
	p := pow10(d)
	neg := m.Minor < 0
	v := m.Minor
	if neg {
		v = -v
	}
	s := groupThousands(v / p)
	if rem := v % p; rem != 0 {
		s += fmt.Sprintf(".%0*d", d, rem)
	}
	return decorate(s, m.Currency, neg)
}

// Short renders money compactly for fields and lists: "$750K", "$2.25M",
// "£10.3K". It keeps at least three significant figures, so $2,250,000 is
// "$2.25M" (not "$2.2M") and $672,345 is "$672K"; trailing zeros are dropped
// only when the short form is exact ("$1.2M" is exactly $1,200,000, while
// $1,200,400 shows as "$1.20M"). Amounts under 1,000 use Format.
func (m Money) Short() string {
	p := pow10(MinorDigits(m.Currency))
	v := m.Minor / p
	neg := v < 0
	if neg {
		v = -v
	}
	if v < 1_000 {
		return m.Format()
	}
	units := []struct {
		div    int64
		suffix string
	}{{1_000, "K"}, {1_000_000, "M"}, {1_000_000_000, "B"}}
	i := 0
	for i < len(units)-1 && v >= units[i+1].div {
		i++
	}
	for {
		u := units[i]
		dec := 0
		switch q := v / u.div; {
		case q < 10:
			dec = 2
		case q < 100:
			dec = 1
		}
		scaled := MulDiv(v, pow10(dec), u.div) // rounded half away from zero
		if scaled >= 1000*pow10(dec) && i < len(units)-1 {
			i++ // 999,999 rounds to 1000K: say 1M
			continue
		}
		whole, frac := scaled/pow10(dec), scaled%pow10(dec)
		s := strconv.FormatInt(whole, 10)
		if dec > 0 {
			f := fmt.Sprintf("%0*d", dec, frac)
			if exact := scaled*u.div == v*pow10(dec); exact {
				f = strings.TrimRight(f, "0")
			}
			if f != "" {
				s += "." + f
			}
		}
		return decorate(s+u.suffix, m.Currency, neg)
	}
}

// decorate adds the currency (symbol before, or code after) and the sign.
func decorate(s, currency string, neg bool) string {
	if sym, ok := symbols[strings.ToUpper(currency)]; ok {
		s = sym + s
	} else if currency != "" {
		s += " " + strings.ToUpper(currency)
	}
	if neg {
		s = "-" + s
	}
	return s
}

func groupThousands(v int64) string {
	s := strconv.FormatInt(v, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MulDiv returns a*b/c rounded half away from zero, without overflow for any
// int64 inputs whose result fits. It is the one place money is scaled.
func MulDiv(a, b, c int64) int64 {
	if c == 0 {
		return 0
	}
	const safe = 3_000_000_000 // |a|,|b| below this: a*b cannot overflow int64
	if a > -safe && a < safe && b > -safe && b < safe {
		n := a * b
		q, r := n/c, n%c
		if r < 0 {
			r = -r
		}
		ac := c
		if ac < 0 {
			ac = -ac
		}
		if 2*r >= ac {
			if (n < 0) != (c < 0) {
				q--
			} else {
				q++
			}
		}
		return q
	}
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	d := big.NewInt(c)
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	// Round half away from zero: compare 2|r| with |c|.
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	if r2.Cmp(new(big.Int).Abs(d)) >= 0 {
		if (n.Sign() < 0) != (d.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}
