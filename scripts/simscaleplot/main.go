// Command simscaleplot renders docs/sim-scale.png from docs/sim-scale.csv (the measured
// scale table of docs/sim.md: engine,nodes,wall_s,peak_rss_mib).
//
//	go run ./scripts/simscaleplot docs/sim-scale.csv docs/sim-scale.png
package main

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: simscaleplot <in.csv> <out.png>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil {
		return err
	}
	wall := map[string]plotter.XYs{}
	rss := map[string]plotter.XYs{}
	var order []string
	for _, rec := range recs[1:] {
		n, _ := strconv.ParseFloat(rec[1], 64)
		w, _ := strconv.ParseFloat(rec[2], 64)
		m, _ := strconv.ParseFloat(rec[3], 64)
		if _, ok := wall[rec[0]]; !ok {
			order = append(order, rec[0])
		}
		wall[rec[0]] = append(wall[rec[0]], plotter.XY{X: n, Y: w})
		rss[rec[0]] = append(rss[rec[0]], plotter.XY{X: n, Y: m / 1024})
	}
	colors := []color.NRGBA{{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, {R: 0xd6, G: 0x27, B: 0x28, A: 0xff}}
	mk := func(title, y string, data map[string]plotter.XYs) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "simulated nodes"
		p.Y.Label.Text = y
		p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
		p.Add(plotter.NewGrid())
		p.Legend.Top, p.Legend.Left = true, true
		for i, k := range order {
			l, s, err := plotter.NewLinePoints(data[k])
			if err != nil {
				return nil, err
			}
			l.Color, s.Color = colors[i%2], colors[i%2]
			s.Shape = draw.CircleGlyph{}
			p.Add(l, s)
			p.Legend.Add(k, l, s)
		}
		return p, nil
	}
	pw, err := mk("Simulator wall time (2 cores, shared)", "wall seconds", wall)
	if err != nil {
		return err
	}
	pm, err := mk("Simulator peak RSS", "GiB", rss)
	if err != nil {
		return err
	}
	img := vg.Length(5) * vg.Inch
	c := vgimgCanvas(2*img, 3.6*vg.Inch)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4}
	canvases := plot.Align([][]*plot.Plot{{pw, pm}}, tiles, draw.New(c))
	pw.Draw(canvases[0][0])
	pm.Draw(canvases[0][1])
	return savePNG(c, out)
}
