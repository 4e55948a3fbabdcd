"""Derived values analysts count by: canonical tool and tag names, band midpoints."""

from __future__ import annotations

import re
import unicodedata

# Aliases seen in career articles. Keys are casefolded, spaces and marks removed.
_TOOL_ALIASES: dict[str, str] = {
    "k8s": "Kubernetes",
    "kubernetes": "Kubernetes",
    "kubernetesk8s": "Kubernetes",
    "gcp": "Google Cloud",
    "googlecloud": "Google Cloud",
    "googlecloudplatform": "Google Cloud",
    "aws": "AWS",
    "amazonwebservices": "AWS",
    "azure": "Azure",
    "microsoftazure": "Azure",
    "githubactions": "GitHub Actions",
    "gitlabci": "GitLab CI",
    "gitlabcicd": "GitLab CI",
    "elk": "ELK Stack",
    "elkstack": "ELK Stack",
    "dvc": "DVC",
    "dataversioncontrol": "DVC",
    "tf": "Terraform",
    "terraform": "Terraform",
    "postgres": "PostgreSQL",
    "postgresql": "PostgreSQL",
    "js": "JavaScript",
    "javascript": "JavaScript",
    "ts": "TypeScript",
    "typescript": "TypeScript",
    "golang": "Go",
    "ci/cd": "CI/CD",
    "cicd": "CI/CD",
}

KNOWN_NAMES: tuple[str, ...] = tuple(
    "|".join(
        (
            # languages
            "Python|Java|Go|Rust|Ruby|PHP|Perl|C++|C#|Scala|Kotlin|Swift|Dart|R|SQL|Julia|MATLAB|Haskell|Elixir",
            "Bash|PowerShell|HTML|CSS",
            # frameworks and libraries
            "React|Vue.js|Angular|Next.js|Node.js|Django|Flask|FastAPI|Spring|Spring Boot|Ruby on Rails|Laravel",
            "Flutter|TensorFlow|PyTorch|Keras|scikit-learn|pandas|NumPy|LangChain|Hugging Face|OpenCV",
            # data and platforms
            "MySQL|MongoDB|Redis|Elasticsearch|Snowflake|BigQuery|Redshift|Databricks|Spark|Hadoop|Kafka|Airflow",
            "dbt|MLflow|Kubeflow|SageMaker|Tableau|Power BI|Looker",
            # infrastructure and tools
            "Docker|Linux|Git|GitHub|GitLab|Jenkins|Ansible|Helm|Prometheus|Grafana|Datadog|Jira|Figma|Excel",
            "Salesforce|SAP",
            # fields people tag with
            "MLOps|DevOps|DevSecOps|SRE|AI|ML|LLM|IoT|SaaS|UI|UX|UI/UX|DX",
        )
    ).split("|")
)
"""Names written in many casings (`python`, `PYTHON`, `Python`): each counts under its usual spelling. A tag or
tool outside this list keeps the spelling it has (its casings count apart)."""

_PARENTHESISED_ALIAS = re.compile(r"^(?P<name>.+?)\s*[(（](?P<alias>[^()（）]+)[)）]\s*$")


def _key(name: str) -> str:
    return re.sub(r"[\s._\-]+", "", unicodedata.normalize("NFKC", name).casefold())


# A known name's casings are aliases of it; the aliases above keep their own targets.
_TOOL_ALIASES.update({_key(name): name for name in KNOWN_NAMES} | _TOOL_ALIASES)


def canonical_tool(name: str) -> str:
    """One name per tool: `Kubernetes (K8s)`, `k8s` and `ｋ８ｓ` are all `Kubernetes`.

    >>> canonical_tool("Kubernetes (K8s)"), canonical_tool("k8s"), canonical_tool("Feast")
    ('Kubernetes', 'Kubernetes', 'Feast')
    """
    text = unicodedata.normalize("NFKC", name).strip()
    match = _PARENTHESISED_ALIAS.match(text)
    if match:
        for candidate in (match.group("name"), match.group("alias")):
            if _key(candidate) in _TOOL_ALIASES:
                return _TOOL_ALIASES[_key(candidate)]
        text = match.group("name").strip()
    return _TOOL_ALIASES.get(_key(text), re.sub(r"\s+", " ", text))


def canonical_tag(tag: str) -> str:
    """Tags compare after NFKC and tool aliases: `#Ｋ８ｓ`, `k8s` and `Kubernetes` count as one; so do `python`
    and `Python`, `mlops` and `MLOps` (`KNOWN_NAMES`).

    >>> canonical_tag("#ｍｌｏｐｓ"), canonical_tag("python"), canonical_tag("機械学習")
    ('MLOps', 'Python', '機械学習')
    """
    text = unicodedata.normalize("NFKC", tag).strip().lstrip("#").strip()
    return _TOOL_ALIASES.get(_key(text), text)


def midpoint(min_yen: int | None, max_yen: int | None) -> int | None:
    """The band's midpoint in whole yen, where both ends exist."""
    if min_yen is None or max_yen is None:
        return None
    return (min_yen + max_yen) // 2
