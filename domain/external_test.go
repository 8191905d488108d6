package domain

import (
	"strings"
	"testing"
)

func TestExternalIDValidation(t *testing.T) {
	tests := []struct {
		name  string
		ids   ExternalIDs
		field string // "" when valid
	}{
		{"none", nil, ""},
		{"usual sources", ExternalIDs{"crm": "0015g00000AcmeAB", "segment": "grp_acme", "billing": "cus_N1", "support": "org-77"}, ""},
		{"upper-case source", ExternalIDs{"CRM": "1"}, "external_ids.CRM"},
		{"source with a space", ExternalIDs{"my crm": "1"}, "external_ids.my crm"},
		{"source too long", ExternalIDs{strings.Repeat("s", 33): "1"}, "external_ids." + strings.Repeat("s", 33)},
		{"empty id", ExternalIDs{"crm": ""}, "external_ids.crm"},
		{"padded id", ExternalIDs{"crm": " 1"}, "external_ids.crm"},
		{"NUL in id", ExternalIDs{"crm": "a\x00b"}, "external_ids.crm"},
		{"id too long", ExternalIDs{"crm": strings.Repeat("x", 257)}, "external_ids.crm"},
		{"unicode id", ExternalIDs{"crm": "Société-42"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Account{ID: "a", Name: "A", Currency: "USD", ExternalIDs: tt.ids}
			errs := a.Validate()
			if tt.field == "" && len(errs) > 0 || tt.field != "" && (len(errs) != 1 || errs[0].Field != tt.field) {
				t.Errorf("errors = %v, want field %q", errs, tt.field)
			}
		})
	}
}
