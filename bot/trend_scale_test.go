package bot

import (
	"strings"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// A 30 → 35 blip is drawn on the band edges around it (20..40), so it is
// a small step, never a full-height bar; the scale follows the configured
// bands.
func TestTrendScaleStartsAtBandEdges(t *testing.T) {
	pts := func(vs ...float64) []Point {
		out := make([]Point, len(vs))
		for i, v := range vs {
			out[i] = Point{Label: "w", Value: v}
		}
		return out
	}
	def := domain.DefaultConfig().Health
	wide := def
	wide.EngagementHighMin, wide.PotentialHighMin = 24, 24 // high edge 48
	tests := []struct {
		name   string
		h      domain.HealthConfig
		vals   []float64
		lo, hi float64
	}{
		{"blip inside the medium band", def, []float64{30, 30, 35, 30}, 20, 40},
		{"falling through zero", def, []float64{15, 5, -10}, -10, 20},
		{"into high risk", def, []float64{5, -25}, -40, 20},
		{"flat on an edge", def, []float64{20, 20}, 20, 40},
		{"top of the scale", def, []float64{50, 55}, 40, 55},
		{"configured bands", wide, []float64{30, 35}, 20, 48},
	}
	for _, tt := range tests {
		lo, hi := trendScale(tt.h, pts(tt.vals...))
		if lo != tt.lo || hi != tt.hi {
			t.Errorf("%s: scale %v..%v, want %v..%v", tt.name, lo, hi, tt.lo, tt.hi)
		}
	}
	spark := Trend{Points: pts(30, 30, 35, 30), Lo: 20, Hi: 40}.Spark()
	if strings.ContainsRune(spark, '█') || strings.ContainsRune(spark, '▁') || spark != "▄▄▆▄" {
		t.Errorf("30 → 35 on 20..40 = %q", spark)
	}
	if got := Sparkline([]float64{30, 35}); got != "▁█" {
		t.Errorf("Sparkline on the data's own range = %q", got)
	}
}

// The trend says every week's number, in text and in JSON, and its scale.
func TestTrendShowsNumbersAndScale(t *testing.T) {
	r := &TrendResult{AccountRef: AccountRef{ID: "x", Name: "X"}, Points: []Point{{"2026-11-16", 30}, {"2026-11-23", 35}}, ScaleMin: 20, ScaleMax: 40, tier: 1}
	text := RenderText(r.Message())
	for _, want := range []string{"2026-11-16: 30", "2026-11-23: 35", "scale 20 to 40", "▄▆"} {
		if !strings.Contains(text, want) {
			t.Errorf("trend text lacks %q:\n%s", want, text)
		}
	}
}
