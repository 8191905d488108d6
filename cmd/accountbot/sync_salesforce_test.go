package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/salesforce/salesforcetest"
)

func TestSyncSalesforceEndToEnd(t *testing.T) {
	k, pemKey := salesforcetest.Key(t)
	f := salesforcetest.New(t, salesforcetest.LoadOrg(t), &k.PublicKey)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "accountbot.key")
	os.WriteFile(keyFile, []byte(pemKey), 0o600)
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("sync:\n  salesforce:\n    mapping:\n      plan: Plan__c\n    write_back:\n      tasks: true\n      write_id_field: AccountBot_Write_Id__c\n      scores:\n        health: Health_Score__c\n"), 0o600)
	env := map[string]string{"SALESFORCE_CLIENT_ID": salesforcetest.ClientID, "SALESFORCE_USERNAME": salesforcetest.Username,
		"SALESFORCE_PRIVATE_KEY_FILE": keyFile, "SALESFORCE_LOGIN_URL": f.URL()}
	args := func(a ...string) []string {
		return append([]string{"--data", filepath.Join(dir, "data"), "--config", cfg}, a...)
	}

	r := run(t, env, "", args("sync", "salesforce", "--dry-run")...)
	if r.code != 0 || !strings.Contains(r.stdout, "Dry run: nothing was written.") || !strings.Contains(r.stdout, `name: "" → "Northwind Traders"`) {
		t.Fatalf("dry run: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", args("sync", "salesforce")...)
	if r.code != 0 || !strings.Contains(r.stdout, "salesforce: read 5, changed 3 (created 3), refused 2") || !strings.Contains(r.stdout, "write-back: 3 delivered") {
		t.Fatalf("sync: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if h := f.ByID["001000000000001AAA"]["Health_Score__c"]; h == nil || h == "" {
		t.Errorf("Northwind's health was not written back: %v", f.ByID["001000000000001AAA"])
	}
	r = run(t, env, "", args("ask", "--as", "alice@acme.example", "account salesforce-001000000000001AAA outcome won upsell 20000 signed 50 seats")...)
	if r.code != 0 {
		t.Fatalf("ask: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if len(f.Tasks) != 0 {
		t.Fatal("the chat command reached Salesforce; it must only queue")
	}
	r = run(t, env, "", args("sync", "salesforce")...)
	if r.code != 0 || !strings.Contains(r.stdout, "write-back: 1 delivered") {
		t.Fatalf("second sync: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if len(f.Tasks) != 1 || f.Tasks[0]["WhatId"] != "001000000000001AAA" || !strings.Contains(f.Tasks[0]["Description"].(string), "signed 50 seats") {
		t.Errorf("tasks = %v", f.Tasks)
	}
	r = run(t, env, "", args("sync", "status")...)
	if r.code != 0 || !strings.Contains(r.stdout, "salesforce") || !strings.Contains(r.stdout, "hubspot") {
		t.Errorf("status: %q", r.stdout)
	}
}

func TestSyncSalesforceBadLoginShowsInStatus(t *testing.T) {
	k, pemKey := salesforcetest.Key(t)
	f := salesforcetest.New(t, salesforcetest.LoadOrg(t), &k.PublicKey)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "accountbot.key")
	os.WriteFile(keyFile, []byte(pemKey), 0o600)
	env := map[string]string{"SALESFORCE_CLIENT_ID": salesforcetest.ClientID, "SALESFORCE_USERNAME": "not-approved@acme.example",
		"SALESFORCE_PRIVATE_KEY_FILE": keyFile, "SALESFORCE_LOGIN_URL": f.URL()}
	r := run(t, env, "", "--data", dir, "sync", "salesforce")
	if r.code != 1 || !strings.Contains(r.stderr, "refused the JWT bearer login") {
		t.Fatalf("sync: code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, env, "", "--data", dir, "sync", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "pre-authorised") {
		t.Fatalf("status: %q", r.stdout)
	}
}

func TestSyncSalesforceUnmappedRequiredFieldShowsInStatus(t *testing.T) {
	k, pemKey := salesforcetest.Key(t)
	f := salesforcetest.New(t, salesforcetest.LoadOrg(t), &k.PublicKey)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "accountbot.key")
	os.WriteFile(keyFile, []byte(pemKey), 0o600)
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("sync:\n  salesforce:\n    mapping:\n      required: [name, seats]\n"), 0o600)
	env := map[string]string{"SALESFORCE_CLIENT_ID": salesforcetest.ClientID, "SALESFORCE_USERNAME": salesforcetest.Username,
		"SALESFORCE_PRIVATE_KEY_FILE": keyFile, "SALESFORCE_LOGIN_URL": f.URL()}
	r := run(t, env, "", "--data", filepath.Join(dir, "data"), "--config", cfg, "sync", "salesforce")
	if r.code != 1 || !strings.Contains(r.stderr, "set sync.salesforce.mapping.seats") {
		t.Fatalf("sync: code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, env, "", "--data", filepath.Join(dir, "data"), "--config", cfg, "sync", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "mapping.seats") || f.Logins != 0 {
		t.Fatalf("status: %q (logins %d)", r.stdout, f.Logins)
	}
}
