#!/usr/bin/env python3
"""Generates rules/knowledge/api-rest.yml: the permission each REST endpoint of a repository needs.

Sources (npm packages, fetched with `npm pack` unless their folders are given):
  @octokit/app-permissions  generated/api.github.com.json: GitHub's "Permissions required for
                            GitHub Apps" table as data (permission -> read/write -> endpoints)
  @octokit/openapi          generated/api.github.com.json: GitHub's OpenAPI description, for the
                            `github.rest.<group>.<method>` name of each endpoint (its operationId)

Usage: scripts/rest-map.py [APP_PERMISSIONS_DIR OPENAPI_DIR] > rules/knowledge/api-rest.yml

Paths under /repos/{owner}/{repo}/ are written relative to it; other paths stay absolute (their
operation names are looked up; a GITHUB_TOKEN reaches only the repository's own endpoints).
Permissions a GITHUB_TOKEN cannot be given (administration, secrets ...) become `impossible`;
`metadata` becomes `none`. Where the table lets any one of several permissions do (an issue
comment is covered by issues or pull requests), the permission named after the resource the
path ends in is kept (check-runs of a commit -> checks), and the others are listed in `or:`.
"""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# App permission -> GITHUB_TOKEN scope (docs.github.com, "Permissions for the GITHUB_TOKEN").
TOKEN_SCOPE = {
    "actions": "actions",
    "checks": "checks",
    "contents": "contents",
    "deployments": "deployments",
    "issues": "issues",
    "metadata": "none",
    "packages": "packages",
    "pages": "pages",
    "pull_requests": "pull-requests",
    "repository_projects": "repository-projects",
    "security_events": "security-events",
    # An App permission to one file; the token's contents scope covers it.
    "single_file": "contents",
    "statuses": "statuses",
}

# A path segment -> the permission its resource belongs to (to choose among alternatives).
RESOURCE = {
    "actions": "actions",
    "artifacts": "actions",
    "runs": "actions",
    "workflows": "actions",
    "jobs": "actions",
    "check-runs": "checks",
    "check-suites": "checks",
    "issues": "issues",
    "labels": "issues",
    "milestones": "issues",
    "assignees": "issues",
    "pulls": "pull_requests",
    "statuses": "statuses",
    "status": "statuses",
    "pages": "pages",
    "deployments": "deployments",
    "secrets": "secrets",
    "variables": "secrets",
    "contents": "contents",
    "branches": "contents",
    "forks": "contents",
}

PREFIX = "/repos/{owner}/{repo}"


def package(name, tmp):
    """Unpacks an npm package into a new folder under tmp and returns its folder."""
    tmp = Path(tmp) / name.replace("/", "+")
    tmp.mkdir()
    subprocess.run(["npm", "pack", "--silent", name], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    tgz = next(tmp.glob("*.tgz"))
    out = tmp / "pkg"
    out.mkdir()
    subprocess.run(["tar", "-xzf", str(tgz), "-C", str(out)], check=True)
    tgz.unlink()
    return out / "package"


def shape(path):
    """A path with its parameters blanked, for joining the two sources."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def camel(words):
    """`create-comment` -> `createComment`."""
    parts = words.split("-")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def method_name(operation_id):
    """`code-scanning/list-alerts-for-repo` -> `codeScanning.listAlertsForRepo` (octokit's names)."""
    group, _, name = operation_id.partition("/")
    return camel(group) + "." + camel(name)


def choose(path, candidates):
    """The permission kept among alternatives: the resource the path ends in, else starts with."""
    literals = [s for s in relative(path).split("/") if s and not s.startswith("{")]
    for segment in reversed(literals):
        want = RESOURCE.get(segment)
        if want in candidates:
            return want
    # Commit comments (`comments/{id}`) and what else names no resource: the repository's contents.
    return "contents" if "contents" in candidates else sorted(candidates)[0]


def relative(path):
    """A repository endpoint's path after /repos/{owner}/{repo}/; other paths stay absolute."""
    if path == PREFIX:
        return ""
    if path.startswith(PREFIX + "/"):
        return path[len(PREFIX) + 1 :]
    return path


def main():
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) == 3:
            perms_dir, openapi_dir = Path(sys.argv[1]), Path(sys.argv[2])
        else:
            perms_dir = package("@octokit/app-permissions", tmp)
            openapi_dir = package("@octokit/openapi", tmp)
        table = json.loads((perms_dir / "generated/api.github.com.json").read_text())
        openapi = json.loads((openapi_dir / "generated/api.github.com.json").read_text())
        perms_version = json.loads((perms_dir / "package.json").read_text())["version"]
        openapi_version = json.loads((openapi_dir / "package.json").read_text())["version"]

    names = {}
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            if isinstance(op, dict) and "operationId" in op:
                names[(method.upper(), shape(path))] = method_name(op["operationId"])

    endpoints = {}
    for permission, levels in table["permissions"].items():
        for access in ("read", "write"):
            for endpoint in levels.get(access, []):
                method, path = endpoint.split(" ", 1)
                if "(" in path:
                    continue
                endpoints.setdefault((method, path), {})[permission] = access

    print("# The permission each REST endpoint of a repository needs. Generated; do not edit:")
    print("#   scripts/rest-map.py > rules/knowledge/api-rest.yml")
    print(f"# from @octokit/app-permissions {perms_version} (GitHub's table of the permissions GitHub")
    print(f"# Apps need) and @octokit/openapi {openapi_version} (the names of github.rest methods).")
    print("# path: after /repos/{owner}/{repo}/ (absolute: outside the repository); scope: the GITHUB_TOKEN scope (`none`: metadata only,")
    print("# `impossible`: a right the token cannot have); or: other scopes the table accepts instead.")
    print("endpoints:")
    for (method, path), options in sorted(endpoints.items(), key=lambda e: (e[0][1], e[0][0])):
        kept = choose(path, options)
        scope = TOKEN_SCOPE.get(kept, "impossible")
        # Only scopes a token can hold are alternatives.
        others = sorted(
            {TOKEN_SCOPE.get(p, "impossible") for p in options if p != kept}
            - {scope, "impossible", "none"}
        )
        fields = [
            f"method: {method}",
            f"path: {json.dumps(relative(path))}",
            f"scope: {scope}",
            f"access: {options[kept]}",
        ]
        if others:
            fields.append(f"or: [{', '.join(others)}]")
        name = names.get((method, shape(path)))
        if name:
            fields.append(f"operation: {name}")
        print(f"  - {{ {', '.join(fields)} }}")


if __name__ == "__main__":
    main()
