"""Forms of the lab: run options, topologies, and the builder's one form per resource type."""

from .balancing import ListenerForm, ListenerRuleForm, LoadBalancerForm, TargetGroupForm
from .base import EditorForm, ResourceForm, problem_text
from .certificates import CertificateForm
from .classic import ClassicLoadBalancerForm
from .compute import AutoScalingGroupForm, LambdaFunctionForm
from .network import InstanceForm, SecurityGroupForm, SubnetForm, VpcForm
from .parameters import ParametersForm
from .run import RunOptionsForm
from .topology import NoteForm, TemplateForm, TopologyForm
from .traffic import TrafficForm

# Every builder form by its kind (``?add=listener-rule``), in the order a topology is built.
EDITORS: dict[str, type[EditorForm]] = {
    form.kind: form
    for form in (
        VpcForm,
        SubnetForm,
        SecurityGroupForm,
        InstanceForm,
        AutoScalingGroupForm,
        LambdaFunctionForm,
        CertificateForm,
        LoadBalancerForm,
        ListenerForm,
        ListenerRuleForm,
        TargetGroupForm,
        ClassicLoadBalancerForm,
        TrafficForm,
    )
}
RESOURCE_EDITORS: dict[str, type[ResourceForm]] = {
    form.resource_type: form for form in EDITORS.values() if issubclass(form, ResourceForm)
}

__all__ = [
    "EDITORS",
    "RESOURCE_EDITORS",
    "EditorForm",
    "NoteForm",
    "ParametersForm",
    "ResourceForm",
    "RunOptionsForm",
    "TemplateForm",
    "TopologyForm",
    "problem_text",
]
