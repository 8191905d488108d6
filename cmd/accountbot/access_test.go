package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBindingFromEnvironment(t *testing.T) {
	m := NewMain()
	env := map[string]string{"SLACK_TEAM_IDS": "T1DC2JH3J, T0SECOND", "SLACK_ENTERPRISE_IDS": "E0HOMEORG", "SLACK_API_APP_ID": "A0MDYCDME",
		"MICROSOFT_APP_TENANT_ID": "72F988BF-86F1-41AF-91AB-2D7CD011DB47"}
	m.Getenv = func(k string) string { return env[k] }
	s, err := m.slackBinding()
	if err != nil || !slices.Equal(s.TeamIDs, []string{"T1DC2JH3J", "T0SECOND"}) || !slices.Equal(s.EnterpriseIDs, []string{"E0HOMEORG"}) || !slices.Equal(s.APIAppIDs, []string{"A0MDYCDME"}) {
		t.Fatalf("slack binding %+v, %v", s, err)
	}
	tb, err := m.teamsBinding()
	if err != nil || !slices.Equal(tb.TenantIDs, []string{"72f988bf-86f1-41af-91ab-2d7cd011db47"}) {
		t.Fatalf("teams binding from the single-tenant id: %+v, %v", tb, err)
	}
	env["MICROSOFT_TENANT_IDS"] = "deadbeef-0000-4000-8000-000000000666"
	if tb, _ := m.teamsBinding(); !slices.Equal(tb.TenantIDs, []string{"deadbeef-0000-4000-8000-000000000666"}) {
		t.Fatalf("MICROSOFT_TENANT_IDS does not win: %+v", tb)
	}
	for key, bad := range map[string]string{"SLACK_TEAM_IDS": "testteamnow", "SLACK_API_APP_ID": "T1DC2JH3J", "SLACK_ENTERPRISE_IDS": "e0home", "MICROSOFT_TENANT_IDS": "contoso.onmicrosoft.com"} {
		env := map[string]string{key: bad}
		m.Getenv = func(k string) string { return env[k] }
		_, serr := m.slackBinding()
		_, terr := m.teamsBinding()
		err := serr
		if err == nil {
			err = terr
		}
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%q: %v; want an error naming the variable", key, bad, err)
		}
	}
	m.Getenv = func(string) string { return "" }
	if s, err := m.slackBinding(); err != nil || len(s.TeamIDs)+len(s.EnterpriseIDs)+len(s.APIAppIDs) != 0 {
		t.Fatalf("unset: %+v %v (want learning)", s, err)
	}
	m.Config = defaultFileConfig()
	if m.auditRetention() != 400*24*time.Hour {
		t.Fatalf("default retention %s", m.auditRetention())
	}
}
