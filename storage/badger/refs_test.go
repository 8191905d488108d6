package badger

import (
	"context"
	"encoding/json"
	"github.com/accountbot/accountbot/storage"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

const refHome = "72f988bf-86f1-41af-91ab-2d7cd011db47"
const refEvil = "deadbeef-0000-4000-8000-000000000666"

func ref(conv string) []byte { return []byte(`{"conversation":{"id":"` + conv + `"}}`) }

// A foreign tenant's channel named "Renewals" used to take over our
// renewal reminders (channels were keyed by display name, last writer
// wins). By ids, and by name only within the home tenant, it cannot.
func TestChannelNameHijack(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	ours := storage.ChannelKey{Tenant: refHome, Team: "19:team-home@thread.tacv2", Channel: "19:renewals-home@thread.tacv2"}
	theirs := storage.ChannelKey{Tenant: refEvil, Team: "19:team-evil@thread.tacv2", Channel: "19:renewals-evil@thread.tacv2"}
	if err := db.PutChannelRef(ctx, "teams", ours, "Renewals", ref("home")); err != nil {
		t.Fatal(err)
	}
	if err := db.PutChannelRef(ctx, "teams", theirs, "#renewals", ref("evil")); err != nil {
		t.Fatal(err)
	}
	k, v, ok, err := db.ChannelRefByName(ctx, "teams", refHome, "#Renewals")
	if err != nil || !ok || k != ours || string(v) != string(ref("home")) {
		t.Fatalf("by name in the home tenant: %+v %s %v %v; want ours", k, v, ok, err)
	}
	v, ok, _ = db.ChannelRef(ctx, "teams", ours)
	if !ok || string(v) != string(ref("home")) {
		t.Fatalf("by id: %s", v)
	}
	if _, _, ok, _ := db.ChannelRefByName(ctx, "teams", "", "renewals"); ok {
		t.Fatal("found a channel by name with no home tenant")
	}
}

func TestChannelRenameAndAmbiguity(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	k := storage.ChannelKey{Tenant: refHome, Team: "team-a", Channel: "19:c1"}
	db.PutChannelRef(ctx, "teams", k, "renewals", ref("1"))
	if err := db.PutChannelRef(ctx, "teams", k, "EMEA renewals", ref("1b")); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := db.ChannelRefByName(ctx, "teams", refHome, "renewals"); ok {
		t.Fatal("the old name still routes to the renamed channel")
	}
	if got, v, ok, _ := db.ChannelRefByName(ctx, "teams", refHome, "emea renewals"); !ok || got != k || string(v) != string(ref("1b")) {
		t.Fatalf("new name: %+v %s %v", got, v, ok)
	}
	// Two teams of the home tenant with a channel of the same name: ask for the id.
	db.PutChannelRef(ctx, "teams", storage.ChannelKey{Tenant: refHome, Team: "team-b", Channel: "19:c2"}, "EMEA Renewals", ref("2"))
	_, _, _, err := db.ChannelRefByName(ctx, "teams", refHome, "emea renewals")
	if domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(domain.ErrorMessage(err), "by its id") {
		t.Fatalf("ambiguous name: %v", err)
	}
	if err := db.PutChannelRef(ctx, "teams", storage.ChannelKey{Tenant: refHome, Channel: ""}, "x", ref("x")); err == nil {
		t.Fatal("stored a channel without an id")
	}
}

// A foreign tenant's member lookup answering with a CSM's e-mail used to
// re-key the CSM, so the foreign user got the CSM's digest.
func TestEmailRekeyFromForeignTenant(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	ana := storage.PersonKey{Tenant: refHome, User: "29:1ana"}
	bound, err := db.PutPersonRef(ctx, "teams", ana, "Ana@Example.com", refHome, ref("ana-dm"))
	if err != nil || !bound {
		t.Fatalf("home person: bound %v err %v", bound, err)
	}
	fake := storage.PersonKey{Tenant: refEvil, User: "29:1mallory"}
	bound, err = db.PutPersonRef(ctx, "teams", fake, "ana@example.com", refHome, ref("mallory-dm"))
	if err != nil || bound {
		t.Fatalf("foreign person: bound %v err %v; want not bound", bound, err)
	}
	k, v, ok, err := db.PersonRefByEmail(ctx, "teams", "ana@example.com")
	if err != nil || !ok || k != ana || string(v) != string(ref("ana-dm")) {
		t.Fatalf("ana's e-mail leads to %+v %s; want her own conversation", k, v)
	}
	// The foreign person's own reference is kept by id (replies still work) without the e-mail.
	if v, ok, _ := db.PersonRef(ctx, "teams", fake); !ok || string(v) != string(ref("mallory-dm")) {
		t.Fatal("foreign person's reference by id lost")
	}
	// Before the home tenant is known, no e-mail is bound at all.
	if bound, _ := db.PutPersonRef(ctx, "teams", storage.PersonKey{Tenant: refHome, User: "29:1ben"}, "ben@example.com", "", ref("ben")); bound {
		t.Fatal("bound an e-mail without a home tenant")
	}
}

func TestMigrateLegacyRefs(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	type old struct {
		Tenant, User, Team, Channel, Name, Email string
	}
	put := func(key string, o old) {
		b, _ := json.Marshal(o)
		if err := db.PutRef(ctx, "teams", key, b); err != nil {
			t.Fatal(err)
		}
	}
	put("user:29:1ana", old{Tenant: refHome, User: "29:1ana", Email: "ana@example.com"})
	put("email:ana@example.com", old{Tenant: refEvil, User: "29:1mallory", Email: "ana@example.com"}) // the hijacked one
	put("channel:renewals", old{Tenant: refEvil, Team: "t-evil", Channel: "19:evil", Name: "renewals"})
	put("channel:19:home", old{Tenant: refHome, Team: "t-home", Channel: "19:home", Name: "renewals"})
	put("conv:garbage", old{})
	decode := func(key string, v []byte) (storage.LegacyRef, bool) {
		var o old
		if json.Unmarshal(v, &o) != nil || o.Tenant == "" {
			return storage.LegacyRef{}, false
		}
		if o.Channel != "" {
			return storage.LegacyRef{Channel: &storage.ChannelKey{Tenant: o.Tenant, Team: o.Team, Channel: o.Channel}, Name: o.Name, Ref: v}, true
		}
		return storage.LegacyRef{Person: &storage.PersonKey{Tenant: o.Tenant, User: o.User}, Email: o.Email, Ref: v}, true
	}
	moved, dropped, err := db.MigrateLegacyRefs(ctx, "teams", []string{refHome}, decode)
	if err != nil || moved != 2 || dropped != 3 {
		t.Fatalf("moved %d dropped %d err %v; want 2 and 3", moved, dropped, err)
	}
	if k, _, ok, _ := db.PersonRefByEmail(ctx, "teams", "ana@example.com"); !ok || k.User != "29:1ana" {
		t.Fatalf("ana after migration: %+v %v", k, ok)
	}
	if k, _, ok, _ := db.ChannelRefByName(ctx, "teams", refHome, "renewals"); !ok || k.Channel != "19:home" {
		t.Fatalf("renewals after migration: %+v %v", k, ok)
	}
	for _, key := range []string{"user:29:1ana", "email:ana@example.com", "channel:renewals", "channel:19:home", "conv:garbage"} {
		if _, ok, _ := db.Ref(ctx, "teams", key); ok {
			t.Errorf("old key %s still there", key)
		}
	}
}
