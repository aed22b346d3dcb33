package csvsource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// After is an incremental state: only rows whose Field is greater than Value
// are wanted. Value is the JSON the runtime sent (a number, a string for
// dates, datetimes and text, a boolean, or null for "everything").
type After struct {
	Field string          `json:"cursor_field"`
	Value json.RawMessage `json:"after"`
}

// rowFilter says whether a row is kept.
type rowFilter func(record []string) (bool, error)

// filter builds the row filter for after, or nil when every row is wanted.
// A row whose cursor is empty (null) is never greater than anything: it is
// dropped, as SQL's "cursor > after" drops it.
func (s *Source) filter(after *After) (rowFilter, error) {
	if after == nil {
		return nil, nil
	}
	index := -1
	for i, name := range s.header {
		if name == after.Field {
			index = i
		}
	}
	if index < 0 {
		return nil, fmt.Errorf("the cursor field %q is not a column (columns: %s)", after.Field, strings.Join(s.header, ", "))
	}
	raw := bytes.TrimSpace(after.Value)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	greater, err := greaterThan(s.kinds[index], raw)
	if err != nil {
		return nil, fmt.Errorf("the state's value for %q: %w", after.Field, err)
	}
	return func(record []string) (bool, error) {
		v := record[index]
		if v == "" {
			return false, nil
		}
		return greater(v)
	}, nil
}

// greaterThan returns "is the CSV value v greater than after?" for a column of kind k.
func greaterThan(k Kind, after json.RawMessage) (func(v string) (bool, error), error) {
	switch k {
	case Int64, Float64:
		var exact json.Number
		if err := json.Unmarshal(after, &exact); err != nil {
			return nil, fmt.Errorf("%s is not a number", after)
		}
		if k == Int64 {
			if n, err := exact.Int64(); err == nil {
				return func(v string) (bool, error) {
					x, err := parseInt(v)
					return x > n, err
				}, nil
			}
		}
		bound, err := exact.Float64()
		if err != nil || math.IsNaN(bound) {
			return nil, fmt.Errorf("%s is not a number", after)
		}
		return func(v string) (bool, error) {
			x, err := parseNumber(k, v)
			return x > bound, err
		}, nil
	case Bool:
		var bound bool
		if err := json.Unmarshal(after, &bound); err != nil {
			return nil, fmt.Errorf("%s is not a boolean", after)
		}
		return func(v string) (bool, error) {
			x, ok := parseBool(v)
			if !ok {
				return false, notA(v, k)
			}
			return x && !bound, nil
		}, nil
	}
	var text string
	if err := json.Unmarshal(after, &text); err != nil {
		return nil, fmt.Errorf("%s is not a string", after)
	}
	if k == String {
		return func(v string) (bool, error) { return v > text, nil }, nil
	}
	bound, err := parseBound(text)
	if err != nil {
		return nil, err
	}
	return func(v string) (bool, error) {
		t, err := parseTime(k, v)
		return t.After(bound), err
	}, nil
}

func parseNumber(k Kind, v string) (float64, error) {
	if k == Int64 {
		n, err := parseInt(v)
		return float64(n), err
	}
	return parseFloat(v)
}

// parseBound reads the state's ISO string for a date or timestamp column. A
// bound without a zone is taken as UTC; a bound with a zone, compared with a
// wall-clock column, as its UTC time (the runtime sends none such: it sends
// back what the column held).
func parseBound(text string) (time.Time, error) {
	if t, ok := parseInstant(text); ok {
		return t, nil
	}
	if t, ok := parseWallClock(text); ok {
		return t, nil
	}
	if t, ok := parseDate(text); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date or timestamp", text)
}

func parseTime(k Kind, v string) (time.Time, error) {
	var t time.Time
	var ok bool
	switch k {
	case Date32:
		t, ok = parseDate(v)
	case TimestampUTC:
		t, ok = parseInstant(v)
	default:
		t, ok = parseWallClock(v)
	}
	if !ok {
		return t, notA(v, k)
	}
	return t, nil
}
