"""Edits to a parsed CloudFormation document (the plain data ``cfn.parse_document`` gives).

The builder's forms change one resource at a time; these functions do the document-wide
part of that: put a resource (renaming it, and every ``Ref``/``Fn::GetAtt``/``DependsOn``
that names it, when its logical id changes), delete one, and turn the result back into
text. They never validate: ``services.save_document`` does, with ``cfn.load_topology``,
and saves nothing when the result has problems.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import yaml

from labs import cfn

# The resource types the builder has forms for (CloudFormation's names; labs.cfn knows more).
VPC = "AWS::EC2::VPC"
SUBNET = "AWS::EC2::Subnet"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
INSTANCE = "AWS::EC2::Instance"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
LISTENER_RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
CERTIFICATE = "AWS::CertificateManager::Certificate"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
LAMBDA_PERMISSION = "AWS::Lambda::Permission"
CLASSIC_LOAD_BALANCER = "AWS::ElasticLoadBalancing::LoadBalancer"
AUTO_SCALING_GROUP = "AWS::AutoScaling::AutoScalingGroup"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
EIP = "AWS::EC2::EIP"

# CloudFormation: "The logical ID must be alphanumeric (A-Za-z0-9) and unique within the
# template." (Resources section, "Logical ID").
LOGICAL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")

Document = dict[str, Any]


def dump_yaml(document: Document) -> str:
    """The document as YAML, with cfn's writer once it has one (short forms, key order)."""
    writer = getattr(cfn, "dump_yaml", None)
    if writer is not None:
        return str(writer(document))
    # Until then: long forms (Ref: X, Fn::GetAtt: [A, B]), which CloudFormation reads too.
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def dump_json(document: Document) -> str:
    writer = getattr(cfn, "dump_json", None)
    if writer is not None:
        return str(writer(document))
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def resources(document: Document) -> dict[str, Any]:
    found = document.get("Resources")
    return found if isinstance(found, dict) else {}


def of_type(document: Document, *types: str) -> list[str]:
    """Logical ids of the resources of ``types``, in document order."""
    return [
        logical_id
        for logical_id, resource in resources(document).items()
        if isinstance(resource, dict) and resource.get("Type") in types
    ]


def put_resource(
    document: Document, logical_id: str, resource: dict[str, Any], original_id: str | None = None
) -> Document:
    """A copy of ``document`` with ``resource`` at ``logical_id``.

    Replacing ``original_id`` keeps the resource's place in the document; when the id
    changes, every reference to the old id follows it.
    """
    result = copy.deepcopy(document)
    old = resources(result)
    new: dict[str, Any] = {}
    for key, value in old.items():
        new[logical_id if key == original_id else key] = resource if key == original_id else value
    if original_id not in old:
        new[logical_id] = resource
    result["Resources"] = new
    if original_id and original_id != logical_id:
        result = rename_references(result, original_id, logical_id)
    return result


def delete_resource(document: Document, logical_id: str) -> Document:
    """A copy without ``logical_id``; references to it stay, so validation names them."""
    result = copy.deepcopy(document)
    result["Resources"] = {k: v for k, v in resources(result).items() if k != logical_id}
    return result


def companions(document: Document, logical_id: str) -> list[str]:
    """The resources the builder created alongside ``logical_id`` and removes with it.

    A Lambda function's invoke permissions, the Elastic IPs on a load balancer's subnet
    mappings and an auto scaling group's launch template: each only when nothing else in
    the template names it, so deleting the owner never breaks another resource.
    """
    found = resources(document)
    owner = found.get(logical_id)
    if not isinstance(owner, dict):
        return []
    properties = owner.get("Properties") or {}
    candidates: list[str] = []
    if owner.get("Type") == LAMBDA_FUNCTION:
        candidates = [
            name
            for name in of_type(document, LAMBDA_PERMISSION)
            if ref_name((found[name].get("Properties") or {}).get("FunctionName")) == logical_id
        ]
    elif owner.get("Type") == LOAD_BALANCER:
        mappings = properties.get("SubnetMappings")
        candidates = [
            name
            for mapping in (mappings if isinstance(mappings, list) else [])
            if isinstance(mapping, dict)
            and (name := ref_name(mapping.get("AllocationId"))) in of_type(document, EIP)
        ]
    elif owner.get("Type") == AUTO_SCALING_GROUP:
        template = properties.get("LaunchTemplate")
        name = ref_name(template.get("LaunchTemplateId")) if isinstance(template, dict) else None
        candidates = [name] if name in of_type(document, LAUNCH_TEMPLATE) else []
    owned = {logical_id, *candidates}
    return [name for name in candidates if not referrers(document, name) - owned]


def referrers(document: Document, logical_id: str) -> set[str]:
    """The resources whose properties (or DependsOn) name ``logical_id``."""
    return {
        name
        for name, resource in resources(document).items()
        if name != logical_id
        and isinstance(resource, dict)
        and (
            _names(resource.get("Properties"), logical_id)
            or logical_id in _depends_on(resource.get("DependsOn"))
        )
    }


def delete_with_companions(document: Document, logical_id: str) -> Document:
    """A copy without ``logical_id`` and its companions; other references stay (see
    ``delete_resource``), but a ``DependsOn`` on a companion goes with it."""
    gone = {logical_id, *companions(document, logical_id)}
    result = copy.deepcopy(document)
    kept = {}
    for name, resource in resources(result).items():
        if name in gone:
            continue
        if isinstance(resource, dict) and "DependsOn" in resource:
            left = [
                item
                for item in _depends_on(resource["DependsOn"])
                if item not in gone - {logical_id}
            ]
            if not left:
                resource.pop("DependsOn")
            elif left != _depends_on(resource["DependsOn"]):
                resource["DependsOn"] = left if len(left) > 1 else left[0]
        kept[name] = resource
    result["Resources"] = kept
    return result


def _depends_on(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if isinstance(value, str) else []


def _names(value: Any, logical_id: str) -> bool:
    if isinstance(value, list):
        return any(_names(item, logical_id) for item in value)
    if isinstance(value, dict):
        if ref_name(value) == logical_id:
            return True
        return any(_names(item, logical_id) for item in value.values())
    return False


def free_name(document: Document, wanted: str, taken: set[str] | None = None) -> str:
    """``wanted``, or ``wanted2``, ``wanted3``… : a logical id no resource has yet."""
    used = set(resources(document)) | (taken or set())
    name, number = wanted[:250], 2
    while name in used:
        name, number = f"{wanted[:250]}{number}", number + 1
    return name


def insert_after(
    document: Document, after: str, logical_id: str, resource: dict[str, Any]
) -> Document:
    """A copy with ``resource`` right after ``after`` (or replaced where it already is)."""
    return _insert(document, after, 1, logical_id, resource)


def insert_before(
    document: Document, before: str, logical_id: str, resource: dict[str, Any]
) -> Document:
    """A copy with ``resource`` right before ``before`` (or replaced where it already is)."""
    return _insert(document, before, 0, logical_id, resource)


def _insert(
    document: Document, anchor: str, offset: int, logical_id: str, resource: dict[str, Any]
) -> Document:
    """A copy with ``resource`` at ``anchor``'s place plus ``offset`` (last when there is no
    ``anchor``), or replaced where it already is."""
    result = copy.deepcopy(document)
    old = resources(result)
    if logical_id in old:
        old[logical_id] = resource
        return result
    items = list(old.items())
    at = next((n + offset for n, (key, _) in enumerate(items) if key == anchor), len(items))
    items.insert(at, (logical_id, resource))
    result["Resources"] = dict(items)
    return result


def rename_references(value: Any, old: str, new: str) -> Any:
    """``value`` with every Ref, Fn::GetAtt and DependsOn naming ``old`` naming ``new``."""
    if isinstance(value, list):
        return [rename_references(item, old, new) for item in value]
    if not isinstance(value, dict):
        return value
    renamed: dict[str, Any] = {}
    for key, item in value.items():
        if key == "Ref" and item == old:
            renamed[key] = new
        elif key == "Fn::GetAtt" and isinstance(item, list) and item[:1] == [old]:
            renamed[key] = [new, *item[1:]]
        elif key == "Fn::GetAtt" and isinstance(item, str) and item.split(".")[0] == old:
            renamed[key] = new + item[len(old) :]
        elif key == "DependsOn":
            renamed[key] = _renamed_names(item, old, new)
        else:
            renamed[key] = rename_references(item, old, new)
    return renamed


def _renamed_names(value: Any, old: str, new: str) -> Any:
    if isinstance(value, list):
        return [new if item == old else item for item in value]
    return new if value == old else value


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def ref_name(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` names, else None."""
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            return str(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            return attribute[0]
        if isinstance(attribute, str):
            return attribute.split(".")[0]
    return None


def playground_metadata(document: Document) -> dict[str, Any]:
    """``Metadata.Playground`` of the template, created (in place) when missing."""
    metadata = document.setdefault("Metadata", {})
    if not isinstance(metadata, dict):
        metadata = document["Metadata"] = {}
    playground = metadata.setdefault("Playground", {})
    if not isinstance(playground, dict):
        playground = metadata["Playground"] = {}
    return playground


BLANK_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: A topology built in ELB Playground.
Metadata:
  Playground:
    Traffic:
      RequestsPerSecond: 10
      Clients: 6
      Paths: ["/"]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
"""
