"""Forms about a topology as a whole: a new one, its template text, a restore."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TopologyForm(forms.Form):
    slug = forms.SlugField(
        label=_("Name"),
        max_length=80,
        help_text=_("Letters, digits, hyphens and underscores; used in URLs and exports."),
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    title_ko = forms.CharField(label=_("Title (Korean)"), max_length=200, required=False)
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_ko = forms.CharField(
        label=_("Description (Korean)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TemplateForm(forms.Form):
    document = forms.CharField(
        label=_("CloudFormation template"),
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 28, "spellcheck": "false", "wrap": "off", "class": "code-input"}
        ),
        help_text=_("YAML or JSON, as you would give AWS."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        help_text=_("Optional: what this change is for."),
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
