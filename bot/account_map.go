package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// MapResult is `account <name> map`: stakeholders by function.
type MapResult struct {
	AccountRef
	Functions []MapFunction `json:"functions"`

	tier  int
	today domain.Date
}

// MapFunction is one function's people and expansion path.
type MapFunction struct {
	Function      domain.Function      `json:"function"`
	Stakeholders  []domain.Stakeholder `json:"stakeholders"`
	ExpansionPath string               `json:"expansion_path"`
}

// expansionPaths are the seed's expansion paths per function.
var expansionPaths = map[domain.Function]string{
	domain.FunctionFinance:    "reporting features, analytics (budget and ROI-focused)",
	domain.FunctionOperations: "workflow automation, integrations (process efficiency)",
	domain.FunctionSales:      "forecasting, pipeline visibility",
	domain.FunctionTech:       "API, security features (implementation, uptime)",
}

func (e *Engine) accountMap(ctx context.Context, c *Call) (Result, error) {
	a := c.Account
	byFn := map[domain.Function][]domain.Stakeholder{}
	for _, s := range a.Stakeholders {
		f := s.Function
		if f == "" {
			f = domain.FunctionOther
		}
		byFn[f] = append(byFn[f], s)
	}
	r := &MapResult{AccountRef: ref(a), Functions: []MapFunction{}, tier: e.evaluate(c).Tier.Tier, today: c.Today}
	for _, f := range domain.Functions {
		if len(byFn[f]) == 0 && expansionPaths[f] == "" {
			continue
		}
		r.Functions = append(r.Functions, MapFunction{Function: f, Stakeholders: nonNil(byFn[f]), ExpansionPath: expansionPaths[f]})
	}
	return r, nil
}

// Message draws the account map.
func (r *MapResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("%s — Tier %d — account map", r.Name, r.tier)}
	people := 0
	for _, f := range r.Functions {
		l := List{Title: title(string(f.Function))}
		for _, s := range f.Stakeholders {
			people++
			l.Items = append(l.Items, stakeholderItem(s, r.today))
		}
		if len(f.Stakeholders) == 0 {
			l.Items = append(l.Items, Item{Text: "No contact yet: a gap in the map", Tone: ToneWarn})
		}
		if f.ExpansionPath != "" {
			l.Items = append(l.Items, Item{Text: "Expansion path: " + f.ExpansionPath})
		}
		m.Blocks = append(m.Blocks, l)
	}
	if people == 0 {
		m.Blocks = append([]Block{Section{Text: "No stakeholders recorded. Map who uses the product and who decides the budget (import a stakeholders file)."}}, m.Blocks...)
	}
	return m
}

func stakeholderItem(s domain.Stakeholder, today domain.Date) Item {
	var tags []string
	if s.Executive {
		tags = append(tags, "executive")
	}
	if s.Champion {
		tags = append(tags, "champion")
	}
	if !s.Active(today) {
		tags = append(tags, "left "+s.Left.String())
	}
	detail := "never contacted"
	if !s.LastContact.IsZero() {
		detail = fmt.Sprintf("last contact %s (%d days ago)", s.LastContact, s.LastContact.DaysUntil(today))
	}
	text := s.Name
	if s.Role != "" {
		text += ", " + s.Role
	}
	if len(tags) > 0 {
		text += " [" + strings.Join(tags, ", ") + "]"
	}
	return Item{Text: text, Detail: detail}
}
