package schema

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	validator "github.com/santhosh-tekuri/jsonschema/v6"
)

// Load compiles the committed schema file name from dir (docs/schemas), with
// formats asserted, for the tests that check outputs against the contract.
func Load(dir, name string) (*validator.Schema, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("%w (run `make schemas`)", err)
	}
	doc, err := validator.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	c := validator.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(BaseURL+name, doc); err != nil {
		return nil, fmt.Errorf("adding %s: %w", name, err)
	}
	s, err := c.Compile(BaseURL + name)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", name, err)
	}
	return s, nil
}
