package csvsource

import "time"

func parseDate(v string) (time.Time, bool) {
	t, hasTime, _, ok := parseISO(v)
	return t, ok && !hasTime
}

// parseInstant reads an ISO 8601 timestamp with a zone ("Z" or "+hh:mm") as UTC.
func parseInstant(v string) (time.Time, bool) {
	t, hasTime, hasZone, ok := parseISO(v)
	return t, ok && hasTime && hasZone
}

// parseWallClock reads an ISO 8601 timestamp without a zone.
func parseWallClock(v string) (time.Time, bool) {
	t, hasTime, hasZone, ok := parseISO(v)
	return t, ok && hasTime && !hasZone
}

// parseISO reads "YYYY-MM-DD", optionally followed by "T" (or a space) and
// "hh:mm:ss", up to six fraction digits, and "Z" or "+hh:mm"/"-hh:mm". The
// result is in UTC. It is written out by hand because it runs for every
// date and timestamp value, and time.Parse is several times slower. More
// than microsecond precision is refused rather than truncated.
func parseISO(v string) (t time.Time, hasTime, hasZone, ok bool) {
	if len(v) < 10 || v[4] != '-' || v[7] != '-' {
		return
	}
	year, ok1 := number(v[0:4])
	month, ok2 := number(v[5:7])
	day, ok3 := number(v[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return
	}
	if len(v) == 10 {
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), false, false, true
	}
	if len(v) < 19 || (v[10] != 'T' && v[10] != ' ') || v[13] != ':' || v[16] != ':' {
		return
	}
	hour, ok1 := number(v[11:13])
	minute, ok2 := number(v[14:16])
	second, ok3 := number(v[17:19])
	if !ok1 || !ok2 || !ok3 || hour > 23 || minute > 59 || second > 59 {
		return
	}
	rest, nanos := v[19:], 0
	if rest != "" && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 7 {
			return
		}
		fraction, _ := number(rest[1:n])
		for i := n; i <= 9; i++ {
			fraction *= 10
		}
		rest, nanos = rest[n:], fraction
	}
	t = time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.UTC)
	switch {
	case rest == "":
		return t, true, false, true
	case rest == "Z" || rest == "z":
		return t, true, true, true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, ok1 := number(rest[1:3])
		m, ok2 := number(rest[4:6])
		if !ok1 || !ok2 || h > 23 || m > 59 {
			return time.Time{}, false, false, false
		}
		offset := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
		if rest[0] == '-' {
			offset = -offset
		}
		return t.Add(-offset), true, true, true
	}
	return time.Time{}, false, false, false
}

// number reads a string of ASCII digits.
func number(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, s != ""
}

var monthDays = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func daysIn(year, month int) int {
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 29
	}
	return monthDays[month]
}
