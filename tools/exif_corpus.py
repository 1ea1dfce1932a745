"""Compare Vestige's reading of photos with exiftool's, file by file (GPS to 4 decimals, the
capture time, the orientation), e.g. on the exif-samples corpus (github.com/ianare/exif-samples):

    python tools/exif_corpus.py PATH/TO/exif-samples [--json]

Prints each photo where the two disagree, then the counts: photos, photos with GPS, GPS matches,
per format. Needs exiftool (Debian: libimage-exiftool-perl). Exit 1 if any GPS photo differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from vestige.media.images import NotAnImage, image_info

SUFFIXES = {".jpg", ".jpeg", ".heic", ".heif", ".avif", ".png", ".tif", ".tiff", ".webp"}


def exiftool(paths: list[Path]) -> dict[str, dict]:
    out = subprocess.run(["exiftool", "-n", "-j", "-q", "-GPSLatitude", "-GPSLongitude", "-DateTimeOriginal",
                          "-Orientation", *map(str, paths)], capture_output=True, text=True)
    return {Path(r["SourceFile"]).resolve().as_posix(): r for r in json.loads(out.stdout or "[]")}


def compare(folder: Path) -> dict:
    photos = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    ref = exiftool(photos) if photos else {}
    counts: Counter = Counter()
    differences = []
    for p in photos:
        fmt = p.suffix.lower().lstrip(".")
        counts[f"photos {fmt}"] += 1
        theirs = ref.get(p.resolve().as_posix(), {})
        try:
            mine = image_info(p.read_bytes())
        except NotAnImage as e:
            differences.append({"file": str(p), "problem": f"not read: {e}"})
            continue
        if isinstance(theirs.get("GPSLatitude"), (int, float)) and isinstance(theirs.get("GPSLongitude"), (int, float)):
            counts[f"gps {fmt}"] += 1
            ok = (mine.latitude is not None and mine.longitude is not None
                  and round(mine.latitude, 4) == round(theirs["GPSLatitude"], 4)
                  and round(mine.longitude, 4) == round(theirs["GPSLongitude"], 4))
            counts[f"gps match {fmt}"] += ok
            if not ok:
                differences.append({"file": str(p), "problem": "GPS", "vestige": [mine.latitude, mine.longitude],
                                    "exiftool": [theirs["GPSLatitude"], theirs["GPSLongitude"]]})
        if theirs.get("Orientation") and mine.orientation != theirs["Orientation"]:
            differences.append({"file": str(p), "problem": "orientation", "vestige": mine.orientation,
                                "exiftool": theirs["Orientation"]})
    gps = sum(v for k, v in counts.items() if k.startswith("gps ") and "match" not in k)
    matched = sum(v for k, v in counts.items() if k.startswith("gps match"))
    return {"photos": len(photos), "gps": gps, "gps_matched": matched, "by_format": dict(sorted(counts.items())),
            "differences": differences}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = compare(args.folder)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for d in result["differences"]:
            print(f"DIFF {d}")
        print(f"{result['photos']} photos, {result['gps']} with GPS, {result['gps_matched']} match exiftool to 4 decimals")
        for k, v in result["by_format"].items():
            print(f"  {k}: {v}")
    return 0 if result["gps"] == result["gps_matched"] else 1


if __name__ == "__main__":
    sys.exit(main())
