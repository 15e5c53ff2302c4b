package sentryguard

import (
	"debug/elf"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"

	"github.com/getsentry/sentry-go"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/internal/elfimage"
)

// debugImages is debug_meta's images: one ELF image per module of frames
// that has a build ID, in the order the frames name them. A module without
// one cannot be matched to a debug file, and is left out: its frames keep
// their names from cgoguard, if any.
func debugImages(frames []cgoguard.Frame) []sentry.DebugMetaImage {
	var images []sentry.DebugMetaImage
	seen := map[string]bool{}
	for _, fr := range frames {
		if fr.BuildID == "" || fr.Module == "" || seen[fr.Module] {
			continue
		}
		id, err := debugID(fr.BuildID)
		if err != nil {
			continue
		}
		seen[fr.Module] = true
		images = append(images, sentry.DebugMetaImage{
			Type:     "elf",
			CodeFile: fr.Module,
			CodeID:   fr.BuildID,
			DebugID:  id,
			// ModuleOffset is the pc's offset from the module's first
			// mapping, where Sentry expects image_addr.
			ImageAddr: addrString(fr.PC - fr.ModuleOffset),
			ImageSize: imageSize(fr.Module),
			Arch:      arch(),
		})
	}
	return images
}

// debugID is the debug identifier Sentry derives from an ELF build ID: its
// first 16 bytes (zero-padded) read as a little-endian GUID, so the first
// three fields' bytes are reversed, in the UUID form.
func debugID(buildID string) (string, error) {
	raw, err := hex.DecodeString(buildID)
	if err != nil || len(raw) == 0 {
		return "", fmt.Errorf("sentryguard: build ID %q is not hex", buildID)
	}
	var g [16]byte
	copy(g[:], raw)
	g[0], g[1], g[2], g[3] = g[3], g[2], g[1], g[0]
	g[4], g[5] = g[5], g[4]
	g[6], g[7] = g[7], g[6]
	return fmt.Sprintf("%x-%x-%x-%x-%x", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16]), nil
}

// arch is Sentry's name of the architecture the program runs on (the
// monitor's is the program's: it is the same executable).
func arch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "386":
		return "x86"
	default:
		return runtime.GOARCH // arm64, ...
	}
}

// imageSizes caches imageSize by module path.
var imageSizes sync.Map // string -> int

// imageSize is the span of a module's loadable segments, from its first
// page to the end of its last segment: how much address space the image
// takes from image_addr on. 0 (left out of the event) when the file cannot
// be read, as a shared object named by its soname in a monitor record may
// not be: Sentry then takes the image to end where the next one begins.
func imageSize(path string) int {
	if v, ok := imageSizes.Load(path); ok {
		return v.(int)
	}
	size := 0
	if f, err := elf.Open(path); err == nil {
		size = int(elfimage.LoadSpan(f))
		f.Close()
	}
	imageSizes.Store(path, size)
	return size
}
