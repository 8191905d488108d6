package main

import (
	"flag"
	"os"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/importer"
)

// importFlags are the flags that let a CRM's export import as it is.
type importFlags struct {
	maps      []string
	mapFile   *string
	dateFmt   *string
	delimiter *string
}

func addImportFlags(fs *flag.FlagSet) *importFlags {
	f := &importFlags{}
	fs.Func("map", `rename CSV headers to fields: "Account Name=name,ARR (USD)=arr" ("Header=-" skips a column); repeatable`, func(s string) error {
		f.maps = append(f.maps, s)
		return nil
	})
	f.mapFile = fs.String("map-file", "", "a mapping file: YAML (\"Account Name: name\", when named .yaml/.yml) or Header=field lines")
	f.dateFmt = fs.String("date-format", "", "layout of dates: Go (01/02/2006) or MM/DD/YYYY, DD.MM.YYYY…; YYYY-MM-DD is always accepted")
	f.delimiter = fs.String("delimiter", "", `CSV cell separator, one character (';', '|', \t or tab); default ",", or ";"/tab when the header has no comma`)
	return f
}

// options turns the flags into importer options, refusing bad ones with how
// to fix them before anything is read.
func (f *importFlags) options(opt importer.Options) (importer.Options, error) {
	if *f.mapFile != "" {
		data, err := os.ReadFile(*f.mapFile)
		if err != nil {
			return opt, domain.Errorf(domain.EINVALID, "--map-file: cannot read %s: %v", *f.mapFile, err)
		}
		m, err := importer.ReadMappingFile(*f.mapFile, data)
		if err != nil {
			return opt, domain.Errorf(domain.EINVALID, "%v", err)
		}
		opt.Map = m
	}
	for _, s := range f.maps {
		if opt.Map == nil {
			opt.Map = importer.Mapping{}
		}
		if err := opt.Map.Parse(s); err != nil {
			return opt, domain.Errorf(domain.EINVALID, "%v", err)
		}
	}
	if *f.dateFmt != "" {
		layout, err := importer.ParseDateLayout(*f.dateFmt)
		if err != nil {
			return opt, domain.Errorf(domain.EINVALID, "%v", err)
		}
		opt.DateLayout = layout
	}
	if *f.delimiter != "" {
		c, err := importer.ParseDelimiter(*f.delimiter)
		if err != nil {
			return opt, domain.Errorf(domain.EINVALID, "%v", err)
		}
		opt.Comma = c
	}
	return opt, nil
}
