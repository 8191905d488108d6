package storagetest

import (
	"context"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// A foreign tenant's channel named "Renewals" used to take over our
// renewal reminders (channels were keyed by display name, last writer
// wins). By ids, and by name only within the home tenant, it cannot.
func testChannelNameHijack(t *testing.T, s Store) {
	ctx := context.Background()
	ours := storage.ChannelKey{Tenant: refHome, Team: "19:team-home@thread.tacv2", Channel: "19:renewals-home@thread.tacv2"}
	theirs := storage.ChannelKey{Tenant: refEvil, Team: "19:team-evil@thread.tacv2", Channel: "19:renewals-evil@thread.tacv2"}
	if err := s.PutChannelRef(ctx, "teams", ours, "Renewals", ref("home")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutChannelRef(ctx, "teams", theirs, "#renewals", ref("evil")); err != nil {
		t.Fatal(err)
	}
	k, v, ok, err := s.ChannelRefByName(ctx, "teams", refHome, "#Renewals")
	if err != nil || !ok || k != ours || string(v) != string(ref("home")) {
		t.Fatalf("by name in the home tenant: %+v %s %v %v; want ours", k, v, ok, err)
	}
	v, ok, _ = s.ChannelRef(ctx, "teams", ours)
	if !ok || string(v) != string(ref("home")) {
		t.Fatalf("by id: %s", v)
	}
	if _, _, ok, _ := s.ChannelRefByName(ctx, "teams", "", "renewals"); ok {
		t.Fatal("found a channel by name with no home tenant")
	}
}

func testChannelRenameAndAmbiguity(t *testing.T, s Store) {
	ctx := context.Background()
	k := storage.ChannelKey{Tenant: refHome, Team: "team-a", Channel: "19:c1"}
	s.PutChannelRef(ctx, "teams", k, "renewals", ref("1"))
	if err := s.PutChannelRef(ctx, "teams", k, "EMEA renewals", ref("1b")); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.ChannelRefByName(ctx, "teams", refHome, "renewals"); ok {
		t.Fatal("the old name still routes to the renamed channel")
	}
	if got, v, ok, _ := s.ChannelRefByName(ctx, "teams", refHome, "emea renewals"); !ok || got != k || string(v) != string(ref("1b")) {
		t.Fatalf("new name: %+v %s %v", got, v, ok)
	}
	// Two teams of the home tenant with a channel of the same name: ask for the id.
	s.PutChannelRef(ctx, "teams", storage.ChannelKey{Tenant: refHome, Team: "team-b", Channel: "19:c2"}, "EMEA Renewals", ref("2"))
	_, _, _, err := s.ChannelRefByName(ctx, "teams", refHome, "emea renewals")
	if domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(domain.ErrorMessage(err), "by its id") {
		t.Fatalf("ambiguous name: %v", err)
	}
	if err := s.PutChannelRef(ctx, "teams", storage.ChannelKey{Tenant: refHome, Channel: ""}, "x", ref("x")); err == nil {
		t.Fatal("stored a channel without an id")
	}
}

// A foreign tenant's member lookup answering with a CSM's e-mail used to
// re-key the CSM, so the foreign user got the CSM's digest.
func testEmailRekeyFromForeignTenant(t *testing.T, s Store) {
	ctx := context.Background()
	ana := storage.PersonKey{Tenant: refHome, User: "29:1ana"}
	bound, err := s.PutPersonRef(ctx, "teams", ana, "Ana@Example.com", refHome, ref("ana-dm"))
	if err != nil || !bound {
		t.Fatalf("home person: bound %v err %v", bound, err)
	}
	fake := storage.PersonKey{Tenant: refEvil, User: "29:1mallory"}
	bound, err = s.PutPersonRef(ctx, "teams", fake, "ana@example.com", refHome, ref("mallory-dm"))
	if err != nil || bound {
		t.Fatalf("foreign person: bound %v err %v; want not bound", bound, err)
	}
	k, v, ok, err := s.PersonRefByEmail(ctx, "teams", "ana@example.com")
	if err != nil || !ok || k != ana || string(v) != string(ref("ana-dm")) {
		t.Fatalf("ana's e-mail leads to %+v %s; want her own conversation", k, v)
	}
	// The foreign person's own reference is kept by id (replies still work) without the e-mail.
	if v, ok, _ := s.PersonRef(ctx, "teams", fake); !ok || string(v) != string(ref("mallory-dm")) {
		t.Fatal("foreign person's reference by id lost")
	}
	// Before the home tenant is known, no e-mail is bound at all.
	if bound, _ := s.PutPersonRef(ctx, "teams", storage.PersonKey{Tenant: refHome, User: "29:1ben"}, "ben@example.com", "", ref("ben")); bound {
		t.Fatal("bound an e-mail without a home tenant")
	}
}

// Most activities carry a channel's id but not its name; a migrated
// record has no team. Neither loses the name, and a channel stays one
// record, found by its id alone.
func testChannelByIDKeepsNameAndAbsorbsTeamless(t *testing.T, s Store) {
	ctx := context.Background()
	teamless := storage.ChannelKey{Tenant: refHome, Channel: "19:c1"}
	if err := s.PutChannelRef(ctx, "teams", teamless, "Renewals", ref("old")); err != nil {
		t.Fatal(err)
	}
	full := storage.ChannelKey{Tenant: refHome, Team: "team-a", Channel: "19:c1"}
	if err := s.PutChannelRef(ctx, "teams", full, "", ref("new")); err != nil {
		t.Fatal(err)
	}
	k, v, ok, err := s.ChannelRefByName(ctx, "teams", refHome, "renewals")
	if err != nil || !ok || k != full || string(v) != string(ref("new")) {
		t.Fatalf("by name: %+v %s %v %v; want the team's record, name kept", k, v, ok, err)
	}
	if _, ok, _ := s.ChannelRef(ctx, "teams", teamless); ok {
		t.Fatal("the team-less record was not absorbed")
	}
	k, v, ok, err = s.ChannelRefByID(ctx, "teams", refHome, "19:c1")
	if err != nil || !ok || k != full || string(v) != string(ref("new")) {
		t.Fatalf("by id: %+v %s %v %v", k, v, ok, err)
	}
	if _, _, ok, _ := s.ChannelRefByID(ctx, "teams", refEvil, "19:c1"); ok {
		t.Fatal("found a home channel's id in another tenant")
	}
}
