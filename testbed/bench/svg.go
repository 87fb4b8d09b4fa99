package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
)

// point is one sample of a series: seconds since its start, and routes.
type point struct {
	T float64
	V float64
}

// series is one line of the plot.
type series struct {
	Name   string
	Color  string // any SVG colour
	Dashed bool
	Points []point
}

// plot is a line chart of routes over time.
type plot struct {
	Title    string
	Subtitle string
	XLabel   string
	YLabel   string
	Series   []series
}

// Chart geometry, in SVG user units.
const (
	svgWidth   = 860
	svgHeight  = 480
	plotLeft   = 90
	plotRight  = 30
	plotTop    = 60
	plotBottom = 60
)

// niceStep returns a round tick step (1, 2 or 5 times a power of ten)
// that cuts span into at most about n intervals.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// ticks returns the multiples of step from 0 up to the first at or above
// hi.
func ticks(hi, step float64) []float64 {
	var out []float64
	for i := 0; ; i++ {
		v := float64(i) * step
		out = append(out, v)
		if v >= hi-step*1e-9 || i > 1000 {
			return out
		}
	}
}

// tickLabel writes v with as many decimals as step has: 0.6, not
// 0.6000000000000001.
func tickLabel(v, step float64) string {
	d := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	return strconv.FormatFloat(v, 'f', d, 64)
}

// siLabel writes a count the short way: 0, 500k, 1.2M.
func siLabel(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// writeSVG draws the plot: axes with ticks, labels, a legend and one
// polyline per series. Series without points are listed in the legend
// only.
func (p plot) writeSVG(w io.Writer) error {
	var maxT, maxV float64
	for _, s := range p.Series {
		for _, pt := range s.Points {
			maxT = math.Max(maxT, pt.T)
			maxV = math.Max(maxV, pt.V)
		}
	}
	if maxT <= 0 {
		maxT = 1
	}
	if maxV <= 0 {
		maxV = 1
	}
	xStep, yStep := niceStep(maxT, 10), niceStep(maxV, 6)
	xTicks, yTicks := ticks(maxT, xStep), ticks(maxV, yStep)
	xMax, yMax := xTicks[len(xTicks)-1], yTicks[len(yTicks)-1]
	pw := float64(svgWidth - plotLeft - plotRight)
	ph := float64(svgHeight - plotTop - plotBottom)
	x := func(t float64) float64 { return plotLeft + t/xMax*pw }
	y := func(v float64) float64 { return plotTop + ph - v/yMax*ph }
	esc := html.EscapeString

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, svgHeight, svgWidth, svgHeight)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgWidth, svgHeight)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", plotLeft, esc(p.Title))
	if p.Subtitle != "" {
		fmt.Fprintf(&b, `<text x="%d" y="42" fill="#555">%s</text>`+"\n", plotLeft, esc(p.Subtitle))
	}
	// Grid and tick labels.
	for _, v := range yTicks {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>`+"\n", plotLeft, y(v), svgWidth-plotRight, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", plotLeft-8, y(v), siLabel(v))
	}
	for _, t := range xTicks {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>`+"\n", x(t), plotTop, x(t), svgHeight-plotBottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(t), svgHeight-plotBottom+18, tickLabel(t, xStep))
	}
	// Axes.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", plotLeft, svgHeight-plotBottom, svgWidth-plotRight, svgHeight-plotBottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", plotLeft, plotTop, plotLeft, svgHeight-plotBottom)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", plotLeft+pw/2, svgHeight-16, esc(p.XLabel))
	fmt.Fprintf(&b, `<text x="20" y="%.1f" text-anchor="middle" transform="rotate(-90 20 %.1f)">%s</text>`+"\n",
		plotTop+ph/2, plotTop+ph/2, esc(p.YLabel))
	// Lines.
	for _, s := range p.Series {
		if len(s.Points) == 0 {
			continue
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="`, esc(s.Color), dash)
		for i, pt := range s.Points {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%.1f,%.1f", x(pt.T), y(pt.V))
		}
		b.WriteString("\"/>\n")
	}
	// Legend, bottom right inside the plot area.
	ly := float64(svgHeight-plotBottom) - 12 - 18*float64(len(p.Series)-1)
	for i, s := range p.Series {
		yy := ly + 18*float64(i)
		lx := float64(svgWidth-plotRight) - 300
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+"\n", lx, yy, lx+24, yy, esc(s.Color), dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle">%s</text>`+"\n", lx+30, yy, esc(s.Name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
