package storage

import "time"

// WriteIDTTL is how long a write id is remembered: far beyond Slack's
// 5-minute replay window and the platforms' redeliveries, and long enough
// for a double click on a day-old message.
const WriteIDTTL = 48 * time.Hour
