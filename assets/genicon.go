//go:build ignore

// genicon draws the application icon, icon.png (512×512): a white envelope
// on a blue rounded square with a green check-mark badge. Run it with
// `go generate ./assets/`. Shapes are signed-distance functions sampled
// 4×4 times per pixel, so edges are anti-aliased with nothing but the
// standard library.
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 512

type rgba struct{ r, g, b, a float64 } // premultiplied, 0..1

func over(dst, src rgba) rgba {
	k := 1 - src.a
	return rgba{src.r + dst.r*k, src.g + dst.g*k, src.b + dst.b*k, src.a + dst.a*k}
}

func solid(c color.NRGBA, cover float64) rgba {
	a := float64(c.A) / 255 * cover
	return rgba{float64(c.R) / 255 * a, float64(c.G) / 255 * a, float64(c.B) / 255 * a, a}
}

// roundRect is the signed distance to a rounded rectangle.
func roundRect(x, y, x0, y0, x1, y1, r float64) float64 {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2-r, (y1-y0)/2-r
	dx, dy := math.Abs(x-cx)-hx, math.Abs(y-cy)-hy
	out := math.Hypot(math.Max(dx, 0), math.Max(dy, 0))
	return out + math.Min(math.Max(dx, dy), 0) - r
}

// segment is the distance to the segment (ax,ay)-(bx,by).
func segment(x, y, ax, ay, bx, by float64) float64 {
	px, py, vx, vy := x-ax, y-ay, bx-ax, by-ay
	t := math.Max(0, math.Min(1, (px*vx+py*vy)/(vx*vx+vy*vy)))
	return math.Hypot(px-vx*t, py-vy*t)
}

func in(d float64) float64 {
	if d <= 0 {
		return 1
	}
	return 0
}

var (
	blueTop    = color.NRGBA{0x2f, 0x6f, 0xde, 0xff}
	blueBottom = color.NRGBA{0x1a, 0x47, 0xa3, 0xff}
	white      = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	flap       = color.NRGBA{0x9d, 0xb6, 0xe6, 0xff}
	green      = color.NRGBA{0x1e, 0x9e, 0x4a, 0xff}
)

func sample(x, y float64) rgba {
	var c rgba
	// background: rounded square, vertical gradient
	t := y / size
	bg := color.NRGBA{
		uint8(float64(blueTop.R)*(1-t) + float64(blueBottom.R)*t),
		uint8(float64(blueTop.G)*(1-t) + float64(blueBottom.G)*t),
		uint8(float64(blueTop.B)*(1-t) + float64(blueBottom.B)*t), 0xff}
	c = over(c, solid(bg, in(roundRect(x, y, 16, 16, 496, 496, 104))))
	// envelope body and flap
	c = over(c, solid(white, in(roundRect(x, y, 84, 138, 428, 370, 28))))
	fl := math.Min(segment(x, y, 104, 160, 256, 276), segment(x, y, 256, 276, 408, 160))
	c = over(c, solid(flap, in(fl-11)*in(roundRect(x, y, 84, 138, 428, 370, 28))))
	// badge: white ring, green disc, white check mark
	bx, by := 376.0, 372.0
	c = over(c, solid(white, in(math.Hypot(x-bx, y-by)-100)))
	c = over(c, solid(green, in(math.Hypot(x-bx, y-by)-84)))
	ck := math.Min(segment(x, y, 334, 374, 364, 404), segment(x, y, 364, 404, 420, 340))
	c = over(c, solid(white, in(ck-13)))
	return c
}

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var acc rgba
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					s := sample(float64(px)+(float64(sx)+0.5)/n, float64(py)+(float64(sy)+0.5)/n)
					acc = rgba{acc.r + s.r, acc.g + s.g, acc.b + s.b, acc.a + s.a}
				}
			}
			k := float64(n * n)
			a := acc.a / k
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				uint8(math.Round(acc.r / k / a * 255)), uint8(math.Round(acc.g / k / a * 255)),
				uint8(math.Round(acc.b / k / a * 255)), uint8(math.Round(a * 255))})
		}
	}
	f, err := os.Create("icon.png")
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
