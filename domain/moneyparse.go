package domain

import (
	"strconv"
	"strings"
	"unicode"
)

// Parsing money as people and spreadsheets write it.
//
// ParseMajor accepts, for a row whose currency is known:
//   - a sign, then a currency symbol or ISO code before or after the number
//     ("$120,000", "€ 18.000", "120000 USD", "-£12.30"), as long as it
//     names the row's currency; one that names another currency is refused,
//     saying which. "$" fits every dollar and peso currency, "kr" the Nordic
//     crowns.
//   - thousands grouped by 3 with commas, dots, spaces (also no-break),
//     apostrophes or underscores, and one decimal separator.
//
// The decimal separator: when both "," and "." appear, the last one is
// the decimal separator ("1,250.50" and "1.250,50" are both 1250.50). When
// only one kind appears, several times, it groups thousands ("1.000.000").
// When it appears once, the currency's convention decides: for currencies
// usually written with decimal commas (EUR, SEK, BRL…: commaDecimal) "," is
// the decimal separator and "." groups thousands ("18.000" is 18000 EUR,
// "18,50" is 18.50 EUR); for the others (USD, GBP, JPY…) "." is the decimal
// separator and "," groups thousands ("120,000" is 120000 USD). A lone "."
// followed by one or two digits is a decimal point in every currency
// ("18.5" EUR). Amounts never have more decimals than the currency, so
// nothing is silently rounded.

// commaDecimal lists currencies conventionally written with a decimal comma.
var commaDecimal = map[string]bool{
	"EUR": true, "SEK": true, "NOK": true, "DKK": true, "ISK": true, "PLN": true, "CZK": true, "HUF": true,
	"RON": true, "BGN": true, "TRY": true, "RUB": true, "UAH": true, "BRL": true, "ARS": true, "CLP": true,
	"COP": true, "IDR": true, "VND": true,
}

// moneySigns maps currency symbols to the currencies they can stand for.
// Longer symbols come first so "US$" is not read as "$".
var moneySigns = []struct {
	sign       string
	currencies []string
}{
	{"US$", []string{"USD"}}, {"CA$", []string{"CAD"}}, {"AU$", []string{"AUD"}}, {"NZ$", []string{"NZD"}},
	{"HK$", []string{"HKD"}}, {"R$", []string{"BRL"}}, {"A$", []string{"AUD"}}, {"C$", []string{"CAD"}},
	{"S$", []string{"SGD"}}, {"zł", []string{"PLN"}}, {"kr", []string{"SEK", "NOK", "DKK", "ISK"}},
	{"Kč", []string{"CZK"}}, {"Fr.", []string{"CHF"}},
	{"$", []string{"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "ARS", "CLP", "COP", "TWD"}},
	{"€", []string{"EUR"}}, {"£", []string{"GBP"}}, {"¥", []string{"JPY", "CNY"}}, {"￥", []string{"JPY", "CNY"}},
	{"₹", []string{"INR"}}, {"₩", []string{"KRW"}}, {"₽", []string{"RUB"}}, {"₺", []string{"TRY"}},
	{"₪", []string{"ILS"}}, {"₫", []string{"VND"}}, {"₱", []string{"PHP"}}, {"฿", []string{"THB"}},
	{"₴", []string{"UAH"}}, {"₦", []string{"NGN"}},
}

// ParseMajor parses an amount written in major units into minor units of
// currency; see the rules above. Errors say what form is expected.
func ParseMajor(s, currency string) (int64, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	t := strings.TrimFunc(s, isMoneySpace)
	if t == "" {
		return 0, Errorf(EINVALID, "empty amount: %s", expectedMoney(currency))
	}
	neg, t := cutSign(t)
	t, err := cutCurrency(s, t, currency)
	if err != nil {
		return 0, err
	}
	if !neg {
		neg, t = cutSign(t) // "$-120"
	}
	whole, frac, err := splitDecimal(s, t, currency)
	if err != nil {
		return 0, err
	}
	return minorUnits(s, whole, frac, neg, currency)
}

// ParseMajorNumber parses a JSON number (plain digits, an optional sign and
// decimal point, no grouping or symbols) in major units of currency. A JSON
// number's "." is always the decimal point, whatever the currency's habit.
func ParseMajorNumber(s, currency string) (int64, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	neg, t := cutSign(strings.TrimSpace(s))
	whole, frac, _ := strings.Cut(t, ".")
	if strings.ContainsAny(t, "eE") {
		return 0, Errorf(EINVALID, "amount %s: write it without an exponent, %s", s, expectedMoney(currency))
	}
	return minorUnits(s, whole, frac, neg, currency)
}

func isMoneySpace(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f' }

func cutSign(t string) (bool, string) {
	if t != "" && (t[0] == '-' || t[0] == '+') {
		return t[0] == '-', strings.TrimFunc(t[1:], isMoneySpace)
	}
	return false, t
}

// cutCurrency removes a leading or trailing currency symbol or ISO code
// that names currency, and refuses one that names another currency.
func cutCurrency(orig, t, currency string) (string, error) {
	for _, end := range []bool{false, true} {
		if marker, rest, ok := currencyMarker(t, end); ok {
			if err := checkMarker(orig, marker, currency); err != nil {
				return "", err
			}
			return strings.TrimFunc(rest, isMoneySpace), nil
		}
	}
	return t, nil
}

// currencyMarker finds a symbol or a three-letter code at the start (or
// the end) of t.
func currencyMarker(t string, end bool) (marker, rest string, ok bool) {
	for _, ms := range moneySigns {
		if !end && strings.HasPrefix(t, ms.sign) {
			return ms.sign, t[len(ms.sign):], true
		}
		if end && strings.HasSuffix(t, ms.sign) {
			return ms.sign, t[:len(t)-len(ms.sign)], true
		}
	}
	if len(t) > 3 { // a code stands apart from any other letter: "120000 USD", not "12 dollars"
		code, rest, next := t[:3], t[3:], t[3]
		if end {
			code, rest, next = t[len(t)-3:], t[:len(t)-3], t[len(t)-4]
		}
		if isLetters(code) && !isLetters([]byte{next}) {
			return strings.ToUpper(code), rest, true
		}
	}
	return "", t, false
}

func isLetters[T string | []byte](s T) bool {
	for i := range len(s) {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func checkMarker(orig, marker, currency string) error {
	for _, ms := range moneySigns {
		if ms.sign != marker {
			continue
		}
		for _, c := range ms.currencies {
			if c == currency {
				return nil
			}
		}
		return Errorf(EINVALID, "amount %q is written with %s (%s) but the row's currency is %s: fix the amount or the currency",
			orig, marker, strings.Join(ms.currencies, ", "), currency)
	}
	if marker != currency {
		return Errorf(EINVALID, "amount %q is in %s but the row's currency is %s: fix the amount or the currency", orig, marker, currency)
	}
	return nil
}

// groupMarks turns every thousands separator but , and . into ' (built
// once: a CRM sync parses an amount per record).
var groupMarks = strings.NewReplacer(" ", "'", "\u00a0", "'", "\u202f", "'", "’", "'", "_", "'")

// splitDecimal removes thousands separators and returns the whole and
// fraction digits.
func splitDecimal(orig, t, currency string) (whole, frac string, err error) {
	t = groupMarks.Replace(t)
	lastDot, lastComma := strings.LastIndexByte(t, '.'), strings.LastIndexByte(t, ',')
	dec := byte(0)
	switch {
	case lastDot >= 0 && lastComma >= 0:
		dec = '.'
		if lastComma > lastDot {
			dec = ','
		}
	case lastDot >= 0 && strings.Count(t, ".") == 1:
		// "18.000" groups thousands in EUR; "18.5" and "18.50" never do.
		if !commaDecimal[currency] || len(t)-lastDot-1 != 3 {
			dec = '.'
		}
	case lastComma >= 0 && strings.Count(t, ",") == 1 && commaDecimal[currency]:
		dec = ','
	}
	if dec != 0 {
		i := strings.LastIndexByte(t, dec)
		t, frac = t[:i], t[i+1:]
		if frac == "" || !isDigits(frac) {
			return "", "", notMoney(orig, currency)
		}
	}
	whole, ok := ungroup(t)
	if !ok || whole == "" && frac == "" {
		return "", "", notMoney(orig, currency)
	}
	return whole, frac, nil
}

// ungroup removes thousands separators (, . ') that sit between groups of
// three digits, and reports whether what is left is digits only.
func ungroup(t string) (string, bool) {
	if !strings.ContainsAny(t, ",.'") {
		return t, isDigits(t)
	}
	groups := strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == '.' || r == '\'' })
	if len(groups) < 2 || len(groups[0]) == 0 || len(groups[0]) > 3 || strings.Count(t, ",")+strings.Count(t, ".")+strings.Count(t, "'") != len(groups)-1 {
		return "", false
	}
	for i, g := range groups {
		if !isDigits(g) || i > 0 && len(g) != 3 {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

func minorUnits(orig, whole, frac string, neg bool, currency string) (int64, error) {
	digits := MinorDigits(currency)
	if whole == "" && frac == "" || !isDigits(whole) || !isDigits(frac) {
		return 0, notMoney(orig, currency)
	}
	if len(frac) > digits {
		if digits == 0 {
			return 0, Errorf(EINVALID, "amount %q has decimals, but %s has no minor unit: %s", orig, currency, expectedMoney(currency))
		}
		return 0, Errorf(EINVALID, "amount %q has more than %d decimals for %s: %s", orig, digits, currency, expectedMoney(currency))
	}
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > (1<<62)/pow10(digits) {
		return 0, Errorf(EINVALID, "amount %q is too large", orig)
	}
	frac += strings.Repeat("0", digits-len(frac))
	var f int64
	if digits > 0 {
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	v := w*pow10(digits) + f
	if neg {
		v = -v
	}
	return v, nil
}

func notMoney(orig, currency string) error {
	return Errorf(EINVALID, "amount %q is not a number: %s", orig, expectedMoney(currency))
}

// expectedMoney describes the accepted form for currency.
func expectedMoney(currency string) string {
	switch {
	case MinorDigits(currency) == 0:
		return "expected a whole number like 120000 or 120,000 for " + currency
	case commaDecimal[currency]:
		return "expected a number like 120000, 120.000,50 or 120000.50 for " + currency
	}
	return "expected a number like 120000 or 120,000.50 for " + currency
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
