#!/usr/bin/env python3
"""A client built from the server's OpenAPI document at run time, as proof that the document is true.

Every request is assembled only from what the document declares for an operation id: its method and path, its path
and query parameters (a parameter the document does not declare is an error, and so is a {placeholder} left in the
path), its security scheme, and its request body schema. Every answer must have a documented status code, and its
JSON body must match the documented schema, with no property the schema does not name.

Usage: document_client.py BASE_URL ADMIN_TOKEN   (prints one JSON line per call; exit 0 when all held)
"""
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class DocumentError(Exception):
    pass


class Api:
    def __init__(self, base, document):
        self.base = base.rstrip("/")
        self.doc = document
        self.ops = {}
        for path, item in document["paths"].items():
            for method, op in item.items():
                if method in ("get", "put", "post", "delete", "patch"):
                    self.ops[op["operationId"]] = (method.upper(), path, op)

    def schema(self, s):
        while "$ref" in s:
            name = s["$ref"].rsplit("/", 1)[-1]
            s = self.doc["components"]["schemas"][name]
        return s

    def check(self, value, s, where):
        s = self.schema(s)
        for alternatives in ("oneOf", "anyOf"):
            if alternatives in s:
                errors = []
                for alt in s[alternatives]:
                    try:
                        return self.check(value, alt, where)
                    except DocumentError as e:
                        errors.append(str(e))
                raise DocumentError(f"{where}: matches none of {alternatives}: {errors}")
        types = s.get("type")
        types = [types] if isinstance(types, str) else (types or [])
        if "enum" in s and value not in s["enum"]:
            raise DocumentError(f"{where}: {value!r} is not one of {s['enum']}")
        if not types:
            return
        actual = ("null" if value is None else "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int)
                  else "number" if isinstance(value, float) else "string" if isinstance(value, str)
                  else "array" if isinstance(value, list) else "object")
        if actual not in types and not (actual == "integer" and "number" in types):
            raise DocumentError(f"{where}: {actual} where the document says {types}")
        if actual == "string" and s.get("format") == "uuid" and not UUID.match(value):
            raise DocumentError(f"{where}: {value!r} is not a uuid")
        if actual == "array":
            for i, item in enumerate(value):
                self.check(item, s.get("items", {}), f"{where}[{i}]")
        if actual == "object" and "properties" in s:
            for name in s.get("required", []):
                if name not in value:
                    raise DocumentError(f"{where}: required property {name} is missing")
            for name, v in value.items():
                if name not in s["properties"]:
                    raise DocumentError(f"{where}: property {name} is not in the document")
                self.check(v, s["properties"][name], f"{where}.{name}")

    def call(self, operation_id, token=None, body=None, **params):
        method, path, op = self.ops[operation_id]
        url, query = path, {}
        for p in op.get("parameters", []):
            name = p["name"]
            if p["in"] == "path":
                if name not in params:
                    raise DocumentError(f"{operation_id}: path parameter {name} has no value")
                value = params.pop(name)
                self.check(value, p.get("schema", {}), f"{operation_id} parameter {name}")
                url = url.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
            elif p["in"] == "query" and name in params:
                value = params.pop(name)
                self.check(value, p.get("schema", {}), f"{operation_id} parameter {name}")
                query[name] = value
        if params:
            raise DocumentError(f"{operation_id}: the document declares no parameter {sorted(params)}")
        if "{" in url:
            raise DocumentError(f"{operation_id}: {path} has a placeholder the document does not declare")
        headers = {}
        security = op.get("security", [])
        if token is not None:
            names = [name for requirement in security for name in requirement]
            if not names:
                raise DocumentError(f"{operation_id}: sends a token but the document declares no security")
            scheme = self.doc["components"]["securitySchemes"][names[0]]
            if scheme.get("scheme") != "bearer":
                raise DocumentError(f"{operation_id}: scheme {names[0]} is not bearer")
            headers["Authorization"] = "Bearer " + token
        elif security and {} not in security:
            raise DocumentError(f"{operation_id}: the document requires a token")
        data = None
        if body is not None:
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                raise DocumentError(f"{operation_id}: the document declares no JSON body")
            self.check(body, content["application/json"]["schema"], f"{operation_id} body")
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        target = self.base + url + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(target, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, raw, media = r.status, r.read(), r.headers.get_content_type()
        except urllib.error.HTTPError as e:
            status, raw, media = e.code, e.read(), e.headers.get_content_type()
        documented = op["responses"].get(str(status))
        if documented is None:
            raise DocumentError(f"{operation_id}: status {status} is not documented ({raw[:200]!r})")
        result = json.loads(raw) if raw else None
        content = documented.get("content") or {}
        if result is not None and content:
            if media not in content:
                raise DocumentError(f"{operation_id}: {status} answered {media}, the document says {sorted(content)}")
            self.check(result, content[media]["schema"], f"{operation_id} {status}")
        print(json.dumps({"operation": operation_id, "method": method, "path": url, "status": status}), flush=True)
        return status, result


def expect(status, wanted, what):
    if status != wanted:
        raise DocumentError(f"{what}: status {status}, expected {wanted}")


def main(base, admin):
    with urllib.request.urlopen(base.rstrip("/") + "/openapi/v1.json", timeout=30) as r:
        api = Api(base, json.load(r))
    status, device = api.call("registerDevice", body={"display_name": "built from the document"})
    expect(status, 201, "registerDevice")
    status, vault = api.call("createVault", token=admin, body={"name": "documented"})
    expect(status, 201, "createVault")
    group = "doc-" + uuid.uuid4().hex[:8]
    expect(api.call("putGroup", token=admin, gid=group, body={"name": "Documented"})[0], 201, "putGroup")
    expect(api.call("addGroupDevice", token=admin, gid=group, did=device["device_id"])[0], 200, "addGroupDevice")
    expect(api.call("addGroupVault", token=admin, gid=group, vid=vault["vault_id"])[0], 200, "addGroupVault")
    status, me = api.call("getMe", token=device["token"])
    expect(status, 200, "getMe")
    if vault["vault_id"] not in [v["vault_id"] for v in me["vaults"]]:
        raise DocumentError("getMe: the vault is not listed")
    op = {"op_id": str(uuid.uuid4()), "kind": "mkdir", "path": "from-the-document", "base": 0}
    status, committed = api.call("commitOps", token=device["token"], vid=vault["vault_id"], body={"ops": [op]})
    expect(status, 200, "commitOps")
    status, log = api.call("readLog", token=device["token"], vid=vault["vault_id"], after=0)
    expect(status, 200, "readLog")
    if committed["results"][0]["status"] != "committed" or log["head"] != committed["head"]:
        raise DocumentError(f"commitOps/readLog disagree: {committed} {log}")
    # a problem answer is documented too
    status, problem = api.call("readLog", token=device["token"], vid=str(uuid.uuid4()), after=0)
    expect(status, 404, "readLog of an unknown vault")


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except DocumentError as e:
        print(f"document_client: {e}", file=sys.stderr)
        sys.exit(1)
