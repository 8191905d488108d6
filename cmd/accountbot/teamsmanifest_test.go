package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// teamsPackage runs teams-manifest and returns the files of the zip.
func teamsPackage(t *testing.T) map[string][]byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "pkg.zip")
	r := run(t, map[string]string{"MICROSOFT_APP_ID": "11111111-2222-3333-4444-555555555555"}, "", "teams-manifest", "--out", out)
	if r.code != 0 {
		t.Fatalf("teams-manifest: %+v", r)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestTeamsManifestMatchesSchema validates manifest.json against
// Microsoft's published schema for the manifestVersion it declares
// (vendored under testdata/teams, see its README for source and licence).
func TestTeamsManifestMatchesSchema(t *testing.T) {
	files := teamsPackage(t)
	var man map[string]any
	if err := json.Unmarshal(files["manifest.json"], &man); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	ver, _ := man["manifestVersion"].(string)
	schemaFile := filepath.Join("testdata", "teams", "MicrosoftTeams.v"+ver+".schema.json")
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("manifestVersion %q: no vendored schema (%v); vendor Microsoft's schema of that version", ver, err)
	}
	if s, _ := man["$schema"].(string); !strings.Contains(s, "/v"+ver+"/") {
		t.Errorf("$schema %q does not name manifestVersion %s", s, ver)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://developer.microsoft.com/json-schemas/teams/MicrosoftTeams.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(files["manifest.json"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("manifest.json does not match the v%s schema:\n%v\n%s", ver, err, files["manifest.json"])
	}
	// The schema is draft-04, where "const" is not a keyword: check it here.
	var s struct {
		Properties struct {
			ManifestVersion struct {
				Const string `json:"const"`
			} `json:"manifestVersion"`
		} `json:"properties"`
	}
	if json.Unmarshal(raw, &s); s.Properties.ManifestVersion.Const != ver {
		t.Errorf("schema %s is for manifestVersion %q, not %q", schemaFile, s.Properties.ManifestVersion.Const, ver)
	}
}

// TestTeamsIcons checks Teams' icon rules: a 192×192 colour icon and a
// 32×32 outline icon that is white on a transparent background.
func TestTeamsIcons(t *testing.T) {
	files := teamsPackage(t)
	decode := func(name string, size int) image.Image {
		t.Helper()
		img, err := png.Decode(bytes.NewReader(files[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is %dx%d, Teams wants %dx%d", name, b.Dx(), b.Dy(), size, size)
		}
		return img
	}
	decode("color.png", 192)
	outline := decode("outline.png", 32)
	b := outline.Bounds()
	white, transparent := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := outline.At(x, y).RGBA()
			switch {
			case a == 0:
				transparent++
			case r == 0xffff && g == 0xffff && bl == 0xffff && a == 0xffff:
				white++
			default:
				t.Fatalf("outline.png pixel (%d,%d) is %v: only white and transparent pixels are allowed", x, y, outline.At(x, y))
			}
		}
	}
	if white == 0 || transparent == 0 {
		t.Errorf("outline.png: %d white and %d transparent pixels; want a white mark on a transparent background", white, transparent)
	}
	if _, _, _, a := outline.At(b.Min.X, b.Min.Y).RGBA(); a != 0 {
		t.Error("outline.png: the background (corner) must be transparent")
	}
}
