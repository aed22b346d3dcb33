package csvsource

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Kind is the Arrow type a CSV column is read as.
type Kind uint8

// The kinds, from the most specific to the most general. A column takes the
// first kind every one of its non-empty values in the first file fits.
const (
	Int64 Kind = iota
	Float64
	Bool
	TimestampUTC // ISO 8601 with "Z" or an offset: an instant, stored as UTC
	Timestamp    // ISO 8601 without a zone: a wall-clock time
	Date32       // YYYY-MM-DD
	String
)

var kindNames = [...]string{"int64", "float64", "bool", "timestamp[us, UTC]", "timestamp[us]", "date32", "string"}

func (k Kind) String() string { return kindNames[k] }

// ArrowType is the Arrow data type of the kind. Timestamps are in microseconds.
func (k Kind) ArrowType() arrow.DataType {
	switch k {
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case TimestampUTC:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case Timestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case Date32:
		return arrow.FixedWidthTypes.Date32
	default:
		return arrow.BinaryTypes.String
	}
}

// fits is a set of kinds, one bit per Kind.
type fits uint8

const everyKind fits = 1<<String - 1 | 1<<String

// isDecimal says whether v is written as a decimal number: an optional sign,
// digits with at most one decimal point, an optional exponent. It keeps
// strconv's other spellings ("NaN", "Inf", hexadecimal) out of numeric columns.
func isDecimal(v string) bool {
	i, digits := 0, 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	for dot := false; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return digits > 0 && isExponent(v[i:])
		}
	}
	return digits > 0
}

func isExponent(v string) bool {
	if len(v) < 2 || (v[0] != 'e' && v[0] != 'E') {
		return false
	}
	v = v[1:]
	if v[0] == '+' || v[0] == '-' {
		v = v[1:]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// isInteger says whether v is an optional sign followed by digits.
func isInteger(v string) bool {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// classify returns every kind a non-empty CSV value can be read as.
func classify(v string) fits {
	f := fits(1 << String)
	if isInteger(v) {
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			f |= 1<<Int64 | 1<<Float64
		}
		return f // an integer too large for int64 stays a string: no silent rounding
	}
	if isDecimal(v) {
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			f |= 1 << Float64
		}
		return f
	}
	if _, ok := parseBool(v); ok {
		return f | 1<<Bool
	}
	switch _, hasTime, hasZone, ok := parseISO(v); {
	case !ok:
		return f
	case !hasTime:
		return f | 1<<Date32
	case hasZone:
		return f | 1<<TimestampUTC
	default:
		return f | 1<<Timestamp
	}
}

// resolve picks the most specific kind in f; a column with no values is a string.
func resolve(f fits, seen bool) Kind {
	if !seen {
		return String
	}
	for k := Int64; k < String; k++ {
		if f&(1<<k) != 0 {
			return k
		}
	}
	return String
}

func parseBool(v string) (bool, bool) {
	switch {
	case strings.EqualFold(v, "true"):
		return true, true
	case strings.EqualFold(v, "false"):
		return false, true
	}
	return false, false
}
