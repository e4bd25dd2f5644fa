//go:build !unix

package archive

// oNonblock has no equivalent here; ReadDir's SameFile check still refuses
// a file replaced between listing and opening.
const oNonblock = 0
