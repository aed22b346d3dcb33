package csvsource

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// appender parses one non-empty CSV value and appends it to a column.
type appender func(v string) error

// newAppender returns the appender for a column of kind k built by b.
func newAppender(k Kind, b array.Builder) appender {
	switch k {
	case Int64:
		ib := b.(*array.Int64Builder)
		return func(v string) error {
			n, err := parseInt(v)
			if err == nil {
				ib.Append(n)
			}
			return err
		}
	case Float64:
		fb := b.(*array.Float64Builder)
		return func(v string) error {
			x, err := parseFloat(v)
			if err == nil {
				fb.Append(x)
			}
			return err
		}
	case Bool:
		bb := b.(*array.BooleanBuilder)
		return func(v string) error {
			x, ok := parseBool(v)
			if !ok {
				return notA(v, k)
			}
			bb.Append(x)
			return nil
		}
	case TimestampUTC, Timestamp, Date32:
		return timeAppender(k, b)
	default:
		sb := b.(*array.StringBuilder)
		return func(v string) error {
			sb.Append(v)
			return nil
		}
	}
}

func timeAppender(k Kind, b array.Builder) appender {
	if k == Date32 {
		db := b.(*array.Date32Builder)
		return func(v string) error {
			t, ok := parseDate(v)
			if !ok {
				return notA(v, k)
			}
			db.Append(arrow.Date32FromTime(t))
			return nil
		}
	}
	parse := parseInstant
	if k == Timestamp {
		parse = parseWallClock
	}
	tb := b.(*array.TimestampBuilder)
	return func(v string) error {
		t, ok := parse(v)
		if !ok {
			return notA(v, k)
		}
		tb.Append(arrow.Timestamp(t.UnixMicro()))
		return nil
	}
}

func parseInt(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64) // base 10: digits and a sign only
	if err != nil {
		return 0, notA(v, Int64)
	}
	return n, nil
}

func parseFloat(v string) (float64, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || !isDecimal(v) {
		return 0, notA(v, Float64)
	}
	return x, nil
}

func notA(v string, k Kind) error {
	const maxShown = 40
	if len(v) > maxShown {
		v = v[:maxShown] + "..."
	}
	return fmt.Errorf("value %q is not a valid %s", v, k)
}
