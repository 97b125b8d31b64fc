#!/usr/bin/env python3
"""Extracts the input constraints of the Cognito actions Incognito serves from botocore's
service model (the published Cognito API model) into src/cognito/constraints.json, which
src/cognito/constraints.rs embeds and enforces.

    python3 scripts/cognito-constraints.py            # rewrite src/cognito/constraints.json
    python3 scripts/cognito-constraints.py --check    # exit 1 when the file is stale

Add an action to the table in src/cognito/routes.rs and run the script. The output keeps only what the
validator reads: per operation its input shape; per shape its type, the required members,
the members in model order (with `sensitive`), min/max, pattern and enum.
"""

import gzip
import json
import os
import re
import sys

ROUTES = os.path.join(os.path.dirname(__file__), "..", "src", "cognito", "routes.rs")
CONTROL = os.path.join(
    os.path.dirname(__file__), "..", "src", "cognito", "actions", "control", "mod.rs"
)


def actions():
    """The actions of the table in src/cognito/routes.rs: the arms of `run`, the entries of
    `ADMIN_ACTIONS` and of the control plane's `ACTIONS` (adding an action there and
    re-running this script covers it)."""
    with open(ROUTES, encoding="utf-8") as f:
        text = f.read()
    run = text[text.index("async fn run(") :]
    run = run[: run.index("\n}\n")]
    admin = text[text.index("const ADMIN_ACTIONS") :]
    admin = admin[: admin.index("];")]
    names = re.findall(r'"(\w+)" =>', run) + re.findall(r'"(\w+)"', admin)
    # The control plane's table (src/cognito/actions/control/mod.rs, `ACTIONS`).
    with open(CONTROL, encoding="utf-8") as f:
        control = f.read()
    control = control[control.index("pub const ACTIONS") :]
    names += re.findall(r'"(\w+)"', control[: control.index("];")])
    if not names:
        sys.exit("no actions found in src/cognito/routes.rs")
    return names


# Where Cognito's servers are known to check differently from the published model.
OVERRIDES = {
    # The model says `[\S]+`, but Cognito accepts spaces inside a password and refuses only
    # leading and trailing ones (Developer Guide, "Password policies"); its servers answer
    # with this pattern.
    "PasswordType": {"pattern": r"^[\S]+.*[\S]+$"},
}

# Incognito's extensions: members whose shape is replaced by one of ours. A trigger in
# LambdaConfig may be a webhook URL as well as a Lambda function ARN (src/triggers).
TRIGGER_TARGET = {
    "type": "string",
    "min": 8,
    "max": 2048,
    "pattern": r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?|https?://[\S]+",
}
TRIGGERS = os.path.join(os.path.dirname(__file__), "..", "src", "triggers", "mod.rs")


def trigger_names():
    """The triggers a LambdaConfig may point at a target: `TRIGGER_NAMES` in src/triggers/mod.rs."""
    with open(TRIGGERS, encoding="utf-8") as f:
        text = f.read()
    table = text[text.index("pub const TRIGGER_NAMES") :]
    return re.findall(r'"(\w+)"', table[: table.index("];")])


MEMBER_SHAPES = {
    **{("LambdaConfigType", trigger): "TriggerTargetType" for trigger in trigger_names()},
    ("PreTokenGenerationVersionConfigType", "LambdaArn"): "TriggerTargetType",
}
EXTRA_SHAPES = {"TriggerTargetType": TRIGGER_TARGET}

KEPT = ("type", "min", "max", "pattern", "enum", "sensitive", "required")


def model():
    import botocore

    path = os.path.join(
        os.path.dirname(botocore.__file__), "data", "cognito-idp", "2016-04-18", "service-2.json"
    )
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rt", encoding="utf-8") as f:
            return json.load(f), botocore.__version__
    with open(path, encoding="utf-8") as f:
        return json.load(f), botocore.__version__


def main():
    m, version = model()
    shapes = m["shapes"]
    out_shapes = {}

    def visit(name):
        if name in out_shapes:
            return
        if name in EXTRA_SHAPES:
            out_shapes[name] = dict(EXTRA_SHAPES[name])
            return
        s = shapes[name]
        o = {k: s[k] for k in KEPT if k in s}
        o.update(OVERRIDES.get(name, {}))
        out_shapes[name] = o
        if s["type"] == "structure":
            o["members"] = []
            for member, ref in s["members"].items():
                shape = MEMBER_SHAPES.get((name, member), ref["shape"])
                entry = [member, shape]
                if ref.get("sensitive"):
                    entry.append("sensitive")
                o["members"].append(entry)
                visit(shape)
        elif s["type"] == "list":
            o["member"] = s["member"]["shape"]
            visit(o["member"])
        elif s["type"] == "map":
            o["key"] = s["key"]["shape"]
            o["value"] = s["value"]["shape"]
            visit(o["key"])
            visit(o["value"])

    operations = {}
    for action in actions():
        shape = m["operations"][action]["input"]["shape"]
        operations[action] = shape
        visit(shape)

    doc = {
        "source": f"botocore {version} data/cognito-idp/2016-04-18/service-2.json",
        "operations": operations,
        "shapes": dict(sorted(out_shapes.items())),
    }
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    target = os.path.join(os.path.dirname(__file__), "..", "src", "cognito", "constraints.json")
    if "--check" in sys.argv:
        with open(target, encoding="utf-8") as f:
            old, new = json.loads(f.read()), json.loads(text)
            if (old["operations"], old["shapes"]) != (new["operations"], new["shapes"]):
                sys.exit("src/cognito/constraints.json is stale: run scripts/cognito-constraints.py")
        return
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
