package badger

import (
	"context"
	"fmt"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// BenchmarkResolveUnknown100K measures the worst case of Resolve on a
// 100K-account book: nothing matches, so every indexed name is compared.
func BenchmarkResolveUnknown100K(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	words := []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Gringotts", "Sterling"}
	kinds := []string{"Health", "Systems", "Holdings", "Bank", "Labs", "Logistics", "Foods", "Energy", "Media", "Retail"}
	ps := make([]domain.Patch, 0, 100_000)
	for i := range 100_000 {
		id := fmt.Sprintf("acct-%06d", i)
		name := fmt.Sprintf("%s %s %d", words[i%10], kinds[(i/10)%10], i)
		ps = append(ps, domain.Patch{ID: id, Core: &domain.Account{ID: id, Name: name, ARR: 1, Currency: "USD"}})
	}
	if _, err := db.Apply(ctx, ps); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.Resolve(ctx, "gringots"); err != nil {
			b.Fatal(err)
		}
	}
}
