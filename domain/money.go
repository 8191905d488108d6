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

// Short renders money compactly for fields and lists: "$750K", "£1.2M".
func (m Money) Short() string {
	p := pow10(MinorDigits(m.Currency))
	v := m.Minor / p
	neg := v < 0
	if neg {
		v = -v
	}
	var s string
	switch {
	case v >= 1_000_000:
		s = trimZero(fmt.Sprintf("%.1f", float64(v)/1e6)) + "M" // display only
	case v >= 1_000:
		s = trimZero(fmt.Sprintf("%.1f", float64(v)/1e3)) + "K" // display only
	default:
		return m.Format()
	}
	return decorate(s, m.Currency, neg)
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

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

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
