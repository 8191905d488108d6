package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"regexp"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

var guidPat = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// runTeamsManifest writes the Teams app package: manifest.json and the two
// icons Teams requires, zipped, ready for "Upload a custom app".
func (m *Main) runTeamsManifest(ctx context.Context) error {
	fs := m.subFlags("teams-manifest", "teams-manifest [--app-id ID] [--out accountbot-teams.zip] [--website URL] [--privacy URL] [--terms URL]")
	appID := fs.String("app-id", m.Getenv("MICROSOFT_APP_ID"), "the bot's Microsoft App ID (env MICROSOFT_APP_ID)")
	out := fs.String("out", "accountbot-teams.zip", "the package to write")
	website := fs.String("website", "https://github.com/accountbot/accountbot", "your website (https), shown in Teams")
	privacy := fs.String("privacy", "https://github.com/accountbot/accountbot#privacy", "privacy statement URL (https)")
	terms := fs.String("terms", "https://github.com/accountbot/accountbot#terms", "terms of use URL (https)")
	if _, err := parseInterleaved(fs, m.Args); err != nil {
		return err
	}
	if !guidPat.MatchString(*appID) {
		return domain.Errorf(domain.EINVALID, "--app-id (or MICROSOFT_APP_ID) must be the bot's App ID, a GUID like 11111111-2222-3333-4444-555555555555; got %q", *appID)
	}
	for _, u := range []string{*website, *privacy, *terms} {
		if !strings.HasPrefix(u, "https://") {
			return domain.Errorf(domain.EINVALID, "Teams requires https URLs; got %q", u)
		}
	}
	scopes := []string{"personal", "team", "groupChat"} // the schema's spelling: "groupchat" is refused on upload
	commands := []map[string]string{
		{"title": "help", "description": "What AccountBot can do"},
		{"title": "portfolio top", "description": "Your accounts that most need you today"},
		{"title": "portfolio renewals", "description": "Renewals in the next 6 months with readiness"},
		{"title": "account", "description": "account <name> [health|renewal|expand|roi|qbr|map]"},
	}
	manifest := map[string]any{
		"$schema":         "https://developer.microsoft.com/json-schemas/teams/v1.16/MicrosoftTeams.schema.json",
		"manifestVersion": "1.16",
		"version":         "1.0.0",
		"id":              *appID,
		"packageName":     "com.accountbot.teams",
		"developer":       map[string]string{"name": "AccountBot", "websiteUrl": *website, "privacyUrl": *privacy, "termsOfUseUrl": *terms},
		"name":            map[string]string{"short": "AccountBot", "full": "AccountBot for account managers"},
		"description": map[string]string{
			"short": "Account health, priorities, renewals and talk tracks",
			"full":  "AccountBot shows each account's tier, three-dimensional health score and why, your daily top-5 priority accounts, renewal readiness and milestones, expansion triggers, and drafts QBR talking points, talk tracks and objection responses from your own numbers.",
		},
		"icons":       map[string]string{"color": "color.png", "outline": "outline.png"},
		"accentColor": "#1D3557",
		"bots": []any{map[string]any{"botId": *appID, "scopes": scopes, "supportsFiles": false, "isNotificationOnly": false,
			"commandLists": []any{map[string]any{"scopes": scopes, "commands": commands}}}},
		"permissions":  []string{"identity", "messageTeamMembers"},
		"validDomains": []string{},
	}
	mj, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{"manifest.json", mj}, {"color.png", icon(192, color.RGBA{0x1d, 0x35, 0x57, 0xff}, color.RGBA{0xff, 0xff, 0xff, 0xff})},
		{"outline.png", icon(32, color.RGBA{0, 0, 0, 0}, color.RGBA{0xff, 0xff, 0xff, 0xff})}} {
		w, err := zw.Create(f.name)
		if err != nil {
			return err
		}
		if _, err := w.Write(f.data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("writing package: %w", err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return domain.Errorf(domain.EINVALID, "cannot write %s: %v", *out, err)
	}
	fmt.Fprintf(m.Stdout, "Teams app package written to %s (app id %s). Upload it in Teams: Apps → Manage your apps → Upload an app.\n", *out, *appID)
	return nil
}

// icon draws a square icon: a background and a simple bar-chart mark.
func icon(size int, bg, fg color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			img.Set(x, y, bg)
		}
	}
	bar := size / 8
	for i, h := range []int{3, 5, 7} { // three rising bars
		x0 := size/4 + i*(bar+bar/2)
		for y := size - size/6 - h*size/10; y < size-size/6; y++ {
			for x := x0; x < x0+bar; x++ {
				img.Set(x, y, fg)
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
