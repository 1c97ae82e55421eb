"""`make audit`: Lighthouse's four scores for the pages readers land on.

In a scratch database (<name>_audit on the server DATABASE_URL points to,
dropped at the end) holding the demo archive, gunicorn serves the site as
production would (DEBUG off, WhiteNoise, collected static files), and
Lighthouse (npm `lighthouse`, run in Debian's Chromium with the flags the
browser tests use) audits the home page, the demo post, an artist page
and a search page (each when the site has one). Prints Performance,
Accessibility, Best Practices and SEO per page, then every audit that
cost a point; writes everything to var/audit-results.json. The target is
100 in all four (docs/audit.md).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import scratch, servers
from wflm.tests.conftest import CHROMIUM, CHROMIUM_ARGS

BASE_DIR = scratch.BASE_DIR
WORK_DIR = BASE_DIR / "var" / "audit"
RESULTS_PATH = BASE_DIR / "var" / "audit-results.json"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGET = 100
LIGHTHOUSE_TIMEOUT = 180  # seconds for one page
ATTEMPTS = 3


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--strict", action="store_true", help=f"exit with status 1 when any score is below {TARGET}"
    )
    parser.add_argument(
        "--desktop", action="store_true", help="audit as a desktop browser (default: Lighthouse's phone)"
    )
    return parser.parse_args(argv)


def lighthouse_command():
    path = shutil.which("lighthouse")
    if path is None:
        sys.exit(
            "lighthouse is not installed: npm install -g lighthouse (make audit does it when npm is there)"
        )
    return path


def chromium_path():
    path = Path(os.environ.get("CHROME_PATH") or CHROMIUM)
    if not path.is_file():
        sys.exit(f"Chromium is not at {path}: apt-get install chromium, or set CHROME_PATH")
    return path


def pages_to_audit(base):
    """[(label, path)]: the home page, the first post it lists, an artist, a search (when there)."""
    status, home = servers.fetch(base + "/")
    if status != 200:
        raise RuntimeError(f"GET / answered {status}")
    pages = [("home", "/")]
    if post := re.search(rb'href="(/\d{4}/\d{2}/[^"/?#]+/)"', home):
        pages.append(("post", post.group(1).decode()))
    status, artists = servers.fetch(base + "/artists/")
    if status == 200 and (artist := re.search(rb'href="(/artists/[^"/?#]+/)"', artists)):
        pages.append(("artist", artist.group(1).decode()))
    status, _ = servers.fetch(base + "/search/?q=miles")
    if status == 200:
        pages.append(("search", "/search/?q=miles"))
    return pages


def run_lighthouse(lighthouse, chromium, url, output, desktop):
    command = [
        lighthouse,
        url,
        "--quiet",
        "--output=json",
        f"--output-path={output}",
        f"--only-categories={','.join(CATEGORIES)}",
        # Lighthouse's launcher adds its own flags; these are the browser tests'.
        "--chrome-flags=" + " ".join(CHROMIUM_ARGS),
    ]
    if desktop:
        command.append("--preset=desktop")
    # Lighthouse now and then loses its trace on a loaded machine ("NO_NAVSTART"): try again.
    for attempt in range(1, ATTEMPTS + 1):
        finished = subprocess.run(
            command, env=os.environ | {"CHROME_PATH": str(chromium)}, timeout=LIGHTHOUSE_TIMEOUT, check=False
        )
        if finished.returncode == 0:
            return json.loads(Path(output).read_text())
        print(
            f"  Lighthouse failed (exit status {finished.returncode}), attempt {attempt} of {ATTEMPTS}",
            flush=True,
        )
    raise RuntimeError(f"Lighthouse failed {ATTEMPTS} times on {url}")


def summarise(report):
    """({category: score 0-100}, [(category, audit id, title, score)] of audits that cost points)."""
    scores, lost = {}, []
    for category in CATEGORIES:
        data = report["categories"][category]
        scores[category] = None if data["score"] is None else round(data["score"] * 100)
        for ref in data["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight") and audit.get("score") is not None and audit["score"] < 1:
                lost.append((category, ref["id"], audit["title"], audit["score"]))
    return scores, lost


def print_table(results):
    width = max(len(f"{r['label']} {r['path']}") for r in results) + 2
    print("page".ljust(width) + "".join(name.rjust(16) for name in CATEGORIES))
    for result in results:
        row = f"{result['label']} {result['path']}".ljust(width)
        row += "".join(str(result["scores"][name]).rjust(16) for name in CATEGORIES)
        print(row)
    below = [(r, loss) for r in results for loss in r["lost"]]
    if below:
        print("\nWhat cost points:")
        for result, (category, audit_id, title, score) in below:
            print(f"  {result['label']}: {category} / {audit_id} ({score:.2f}): {title}")
    else:
        print(f"\nEvery page scores {TARGET} in all four.")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    lighthouse, chromium = lighthouse_command(), chromium_path()
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        sys.exit("DATABASE_URL is not set (make audit sets it: the embedded PostgreSQL, unless yours)")
    name = scratch.database_name(server_url) + "_audit"
    database_url = scratch.create(server_url, name)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    env = scratch.app_env(
        database_url,
        STATIC_ROOT=WORK_DIR / "static",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        HTTPS="off",
        BEHIND_PROXY="off",
    )
    results = []
    try:
        for command in (["migrate", "--noinput"], ["load_demo"], ["collectstatic", "--noinput"]):
            subprocess.run(
                [sys.executable, "manage.py", *command, "--verbosity", "0"], cwd=BASE_DIR, env=env, check=True
            )
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with (
            servers.gunicorn("audit", gunicorn, "wflm.wsgi", cwd=BASE_DIR, env=env, log_dir=WORK_DIR) as base,
            tempfile.TemporaryDirectory() as reports,
        ):
            for label, path in pages_to_audit(base):
                print(f"Lighthouse: {label} {path} ...", flush=True)
                report = run_lighthouse(
                    lighthouse, chromium, base + path, Path(reports) / f"{label}.json", args.desktop
                )
                scores, lost = summarise(report)
                results.append(
                    {
                        "label": label,
                        "path": path,
                        "scores": scores,
                        "lost": lost,
                        "lighthouse": report["lighthouseVersion"],
                        "form_factor": report["configSettings"]["formFactor"],
                    }
                )
    finally:
        scratch.drop(server_url, name)
    print()
    print_table(results)
    RESULTS_PATH.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWritten to {RESULTS_PATH.relative_to(BASE_DIR)}.")
    below_target = any(score is None or score < TARGET for r in results for score in r["scores"].values())
    return 1 if args.strict and below_target else 0


if __name__ == "__main__":
    sys.exit(main())
