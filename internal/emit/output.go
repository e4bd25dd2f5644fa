package emit

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeAtomically writes an output (of flag flagName, named in errors) through a temporary file in the same folder
// and renames it into place with permissions perm, so a failed run never leaves
// a half-written bundle. The temporary file is created 0600 (os.CreateTemp), so
// a private file is never readable by others, not even while written.
func writeAtomically(flagName, path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("%s %s: %w", flagName, path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("%s %s: %w", flagName, path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("%s %s: %w", flagName, path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("%s %s: %w", flagName, path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s %s: %w", flagName, path, err)
	}
	return nil
}
