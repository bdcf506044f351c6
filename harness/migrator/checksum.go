package migrator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
)

// ChecksumTable is where the harness records, per applied migration, the
// SHA-256 of the up file it applied. golang-migrate records only a version
// (Flyway and Atlas record checksums), so without this a file edited after
// it ran goes unnoticed: the database keeps the old schema and claims the
// new file.
const ChecksumTable = "schema_migration_checksums"

// recordChecksums notes the checksum of every applied up file not yet
// noted, and forgets those above the current version (migrated down): a
// checksum is taken when its file is applied, never refreshed.
func (mg *Migrator) recordChecksums(ctx context.Context) error {
	version, _, err := mg.Version()
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, mg.dbURL)
	if err != nil {
		return fmt.Errorf("record migration checksums: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+ChecksumTable+` (
		version    bigint                   PRIMARY KEY,
		file       text                     NOT NULL,
		sha256     text                     NOT NULL,
		applied_at timestamp with time zone NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("record migration checksums: %w", err)
	}
	batch := &pgx.Batch{}
	batch.Queue(`DELETE FROM `+ChecksumTable+` WHERE version > $1`, int64(version))
	for _, f := range mg.files.List {
		if f.Version > version {
			break
		}
		sum, err := fileChecksum(mg.fsys, f.Up)
		if err != nil {
			return err
		}
		batch.Queue(`INSERT INTO `+ChecksumTable+` (version, file, sha256) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING`,
			int64(f.Version), f.Up, sum)
	}
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("record migration checksums: %w", err)
	}
	return nil
}

func fileChecksum(fsys fs.FS, name string) (string, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Edited is an applied migration whose file changed after it was applied.
type Edited struct {
	Version  uint   `json:"version"`
	File     string `json:"file"`     // dir/NNNNNN_name.up.sql
	Recorded string `json:"recorded"` // SHA-256 when applied
	Current  string `json:"current"`  // SHA-256 of the file now
}

// Querier is what EditedFiles reads through: a *pgx.Conn, a *pgxpool.Pool.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// EditedFiles compares the checksums recorded in the database behind conn
// with the files: recorded says whether the database has a checksum table at
// all (one migrated by other tools has none).
func EditedFiles(ctx context.Context, conn Querier, files Files, fsys fs.FS) (edited []Edited, recorded bool, err error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", ChecksumTable).Scan(&exists); err != nil {
		return nil, false, fmt.Errorf("read %s: %w", ChecksumTable, err)
	}
	if !exists {
		return nil, false, nil
	}
	rows, err := conn.Query(ctx, "SELECT version, sha256 FROM "+ChecksumTable+" ORDER BY version")
	if err != nil {
		return nil, true, fmt.Errorf("read %s: %w", ChecksumTable, err)
	}
	var version int64
	var sum string
	_, err = pgx.ForEachRow(rows, []any{&version, &sum}, func() error {
		f, ok := files.byVersion(uint(version))
		if !ok {
			return nil // a version these files do not have: the state check reports it
		}
		current, err := fileChecksum(fsys, f.Up)
		if err != nil {
			return err
		}
		if current != sum {
			edited = append(edited, Edited{Version: f.Version, File: files.Path(f.Up), Recorded: sum, Current: current})
		}
		return nil
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, true, fmt.Errorf("read %s: %w", ChecksumTable, err)
	}
	return edited, true, nil
}
