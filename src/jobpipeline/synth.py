"""Deterministic synthetic corpus of career articles, shaped like the real seed (benchmarks, stress tests).

`generate_corpus(out, n, seed=...)` writes `n` articles under `out/0000/`, `out/0001/`, … (at most
1,000 files a folder), named `NNNNNNN_<slug>.txt`, plus `out/.synth.json` describing the run.

How an article is made:

- The template (a text given by the caller, or by default a copy of the real seed article shipped
  as package data, `jobpipeline/templates/synth_article.txt`) is split once into Markdown blocks
  with slots for the job names, the salary rows and the hashtags. The default is read through
  importlib.resources, never from a checkout's `seeds/`, so a wheel and a checkout write the same
  bytes; it is a frozen copy, so editing the seed does not change benchmark corpora.
- Each article draws from its own `random.Random` seeded with `(seed, index)`, so
  `synth_article(plan, index)` is a pure function: the same plan and index give the same bytes, in
  any order and in any process.
- A job's identity (slug, category, English and Japanese names) depends only on `(seed, index)`,
  so related links can name other articles without generating them.
- Size follows the template (±3 KB) by dropping or repeating prose blocks.

Broken files (`broken_share` of them, never index 0, kinds in turn) are listed in `BROKEN_KINDS`;
`EXPECTED_CODES` names the finding each kind must raise.

Anomalies (`anomalies` of each kind in `ANOMALY_KINDS`, in sound files only) are planted on request
so tests and benchmarks can show the enrichment's checks find them: an inverted salary table (the
highest level's closed band swapped with the lowest's), an outlying band (a closed mid-table band at
ten times its figures), a stale title year (【2015最新】) and a front matter key no other article has
(`salary_source`, schema drift against a corpus without it). `ANOMALY_CODES` names what each raises.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final, NamedTuple

GENERATOR: Final = "jobpipeline.synth"
FORMAT_VERSION: Final = 1
MARKER: Final = ".synth.json"
FILES_PER_FOLDER: Final = 1_000
PROGRESS_EVERY: Final = 500
DANGLING_SHARE: Final = 0.1
"""Share of related links that name a slug no article has."""
SIZE_JITTER: Final = 3_000
"""Articles are the template's size ± this many bytes."""
TEMPLATE_RESOURCE: Final = ("templates", "synth_article.txt")
"""The default template inside the jobpipeline package: a byte-for-byte copy of the real seed article."""

BROKEN_KINDS: Final = (
    "invalid_json",
    "duplicate_slug",
    "salary_unparseable",
    "missing_slug",
    "invalid_slug",
    "shift_jis",
    "unclosed_fence",
)
ANOMALY_KINDS: Final = ("inversion", "outlier", "stale_title", "drift_key")
ANOMALY_CODES: Final[dict[str, str]] = {
    "inversion": "salary-level-inversion",
    "outlier": "salary-outlier",
    "stale_title": "title-year-stale",
    "drift_key": "schema-drift",
}
"""The finding code (or, for drift_key, the `quality_checks` check) each planted anomaly raises."""
STALE_YEAR: Final = 2015
DRIFT_KEY: Final = "salary_source"
OUTLIER_FACTOR: Final = 10

EXPECTED_CODES: Final[dict[str, str]] = {
    "invalid_json": "frontmatter-invalid-json",
    "duplicate_slug": "slug-duplicate",  # raised by validate.check_corpus, not by read_article
    "salary_unparseable": "salary-no-figure",  # a warning: the article is still accepted
    "missing_slug": "slug-missing",
    "invalid_slug": "slug-invalid",
    "shift_jis": "encoding-not-utf8",
    "unclosed_fence": "frontmatter-unclosed",
}

# Slots in the prepared template; NUL never occurs in a readable article.
_EN: Final = "\x00EN\x00"
_JA: Final = "\x00JA\x00"
_SALARY: Final = "\x00SALARY\x00"
_TAGS: Final = "\x00TAGS\x00"
_SALARY_HEADER: Final = "| 経験年数 | 年収範囲 (万円) | 特徴 |\n| :--- | :--- | :--- |"


# --------------------------------------------------------------------------------------------------
# Word pools

_Word = tuple[str, str, str]  # (slug word, English display, Japanese)

_ROLE: Final[dict[str, _Word]] = {
    w[0]: w
    for w in (
        ("engineer", "Engineer", "エンジニア"),
        ("scientist", "Scientist", "サイエンティスト"),
        ("analyst", "Analyst", "アナリスト"),
        ("architect", "Architect", "アーキテクト"),
        ("researcher", "Researcher", "リサーチャー"),
        ("developer", "Developer", "デベロッパー"),
        ("designer", "Designer", "デザイナー"),
        ("director", "Director", "ディレクター"),
        ("marketer", "Marketer", "マーケター"),
        ("manager", "Manager", "マネージャー"),
        ("strategist", "Strategist", "ストラテジスト"),
        ("planner", "Planner", "プランナー"),
        ("sales", "Sales", "セールス"),
        ("executive", "Executive", "エグゼクティブ"),
        ("consultant", "Consultant", "コンサルタント"),
        ("controller", "Controller", "コントローラー"),
        ("specialist", "Specialist", "スペシャリスト"),
        ("partner", "Partner", "パートナー"),
        ("coordinator", "Coordinator", "コーディネーター"),
        ("administrator", "Administrator", "アドミニストレーター"),
        ("owner", "Owner", "オーナー"),
        ("programmer", "Programmer", "プログラマー"),
        ("artist", "Artist", "アーティスト"),
    )
}


def _words(spec: str) -> tuple[_Word, ...]:
    """`slug:English:日本語` entries separated by whitespace."""
    return tuple((w[0], w[1], w[2]) for w in (item.split(":") for item in spec.split()))


# category -> (modifier words, role slugs)
_CATEGORIES: Final[dict[str, tuple[tuple[_Word, ...], tuple[str, ...]]]] = {
    "ai-data": (
        _words(
            "ml:ML:機械学習 data:Data:データ ai:AI:AI mlops:MLOps:MLOps analytics:Analytics:アナリティクス"
            " llm:LLM:LLM nlp:NLP:自然言語処理 vision:Vision:画像認識"
        ),
        ("engineer", "scientist", "analyst", "architect", "researcher"),
    ),
    "engineering": (
        _words(
            "backend:Backend:バックエンド frontend:Frontend:フロントエンド"
            " fullstack:Full-Stack:フルスタック mobile:Mobile:モバイル ios:iOS:iOS"
            " android:Android:Android embedded:Embedded:組込み"
            " web:Web:Web qa:QA:QA"
        ),
        ("engineer", "developer", "architect", "programmer"),
    ),
    "design": (
        _words(
            "ux:UX:UX ui:UI:UI product:Product:プロダクト visual:Visual:ビジュアル"
            " service:Service:サービス graphic:Graphic:グラフィック motion:Motion:モーション"
        ),
        ("designer", "researcher", "director", "artist"),
    ),
    "marketing": (
        _words(
            "digital:Digital:デジタル content:Content:コンテンツ growth:Growth:グロース"
            " performance:Performance:パフォーマンス brand:Brand:ブランド seo:SEO:SEO crm:CRM:CRM"
            " social:Social:ソーシャル"
        ),
        ("marketer", "manager", "strategist", "planner"),
    ),
    "sales": (
        _words(
            "inside:Inside:インサイド field:Field:フィールド enterprise:Enterprise:エンタープライズ"
            " partner:Partner:パートナー saas:SaaS:SaaS account:Account:アカウント"
            " solution:Solution:ソリューション"
        ),
        ("sales", "executive", "manager", "consultant"),
    ),
    "finance": (
        _words(
            "fpa:FP&A:FP&A financial:Financial:ファイナンシャル accounting:Accounting:経理"
            " treasury:Treasury:財務 tax:Tax:税務 audit:Audit:監査 investment:Investment:投資"
        ),
        ("analyst", "manager", "controller", "specialist"),
    ),
    "hr": (
        _words(
            "talent:Talent:タレント recruiting:Recruiting:リクルーティング people:People:ピープル"
            " hr:HR:人事 learning:Learning:ラーニング compensation:Compensation:報酬 labor:Labor:労務"
        ),
        ("manager", "specialist", "partner", "coordinator"),
    ),
    "consulting": (
        _words(
            "strategy:Strategy:戦略 it:IT:IT dx:DX:DX management:Management:経営"
            " business:Business:ビジネス erp:ERP:ERP sustainability:Sustainability:サステナビリティ"
        ),
        ("consultant", "analyst", "manager", "architect"),
    ),
    "infrastructure": (
        _words(
            "cloud:Cloud:クラウド network:Network:ネットワーク platform:Platform:プラットフォーム"
            " server:Server:サーバー database:Database:データベース devops:DevOps:DevOps linux:Linux:Linux"
            " reliability:Reliability:信頼性"
        ),
        ("engineer", "architect", "administrator", "specialist"),
    ),
    "security": (
        _words(
            "cloud:Cloud:クラウド application:Application:アプリケーション network:Network:ネットワーク"
            " security:Security:セキュリティ cyber:Cyber:サイバー soc:SOC:SOC threat:Threat:脅威"
            " identity:Identity:アイデンティティ"
        ),
        ("engineer", "analyst", "architect", "consultant", "specialist"),
    ),
    "product": (
        _words(
            "product:Product:プロダクト technical:Technical:テクニカル growth:Growth:グロース"
            " platform:Platform:プラットフォーム data:Data:データ ai:AI:AI"
        ),
        ("manager", "owner", "director", "analyst"),
    ),
    "game": (
        _words(
            "game:Game:ゲーム unity:Unity:Unity unreal:Unreal:Unreal level:Level:レベル"
            " sound:Sound:サウンド graphics:Graphics:グラフィックス gameplay:Gameplay:ゲームプレイ"
            " server:Server:サーバー"
        ),
        ("engineer", "designer", "programmer", "planner", "director", "artist"),
    ),
}
CATEGORIES: Final = tuple(_CATEGORIES)

_CATEGORY_TAGS: Final[dict[str, tuple[str, ...]]] = {
    "ai-data": (
        "MLOps",
        "機械学習",
        "PyTorch",
        "TensorFlow",
        "SQL",
        "BigQuery",
        "Snowflake",
        "LLM",
        "データ分析",
        "MLflow",
        "Airflow",
        "dbt",
    ),
    "engineering": (
        "Go",
        "Java",
        "TypeScript",
        "TS",
        "React",
        "Next.js",
        "Rust",
        "Ruby on Rails",
        "Swift",
        "Kotlin",
        "REST API",
        "マイクロサービス",
    ),
    "design": (
        "Figma",
        "Adobe XD",
        "UXリサーチ",
        "デザインシステム",
        "Photoshop",
        "Illustrator",
        "プロトタイピング",
        "アクセシビリティ",
        "ユーザビリティ",
    ),
    "marketing": (
        "Google Analytics",
        "GA4",
        "SEO",
        "広告運用",
        "HubSpot",
        "MA",
        "コンテンツマーケティング",
        "SNS運用",
        "Looker Studio",
    ),
    "sales": ("Salesforce", "SFDC", "HubSpot", "SaaS営業", "法人営業", "インサイドセールス", "The Model", "商談管理"),
    "finance": ("Excel", "FP&A", "IFRS", "管理会計", "SAP", "財務分析", "予算管理", "監査対応", "連結決算"),
    "hr": ("採用", "人事制度", "労務管理", "SmartHR", "タレントマネジメント", "エンゲージメント", "評価制度", "HRBP"),
    "consulting": ("戦略立案", "DX推進", "PMO", "業務改善", "ERP", "SAP", "ロジカルシンキング", "PowerPoint"),
    "infrastructure": (
        "Terraform",
        "Linux",
        "SRE",
        "Ansible",
        "ネットワーク",
        "Azure",
        "Prometheus",
        "Datadog",
        "IaC",
        "VMware",
    ),
    "security": (
        "ゼロトラスト",
        "SOC",
        "CSIRT",
        "脆弱性診断",
        "ISO 27001",
        "SIEM",
        "IAM",
        "ペネトレーションテスト",
        "Azure",
    ),
    "product": (
        "プロダクトマネジメント",
        "PRD",
        "Jira",
        "アジャイル",
        "スクラム",
        "KPI設計",
        "ユーザーインタビュー",
        "A/Bテスト",
    ),
    "game": ("Unity", "Unreal Engine", "UE5", "C#", "C++", "ゲームエンジン", "レベルデザイン", "3DCG", "Blender"),
}
# Spellings of the same tool: canonicalization has to fold these.
_ALIAS_TAGS: Final = (
    "Kubernetes",
    "k8s",
    "K8s",
    "GCP",
    "Google Cloud",
    "AWS",
    "Amazon Web Services",
    "Docker",
    "docker",
    "Python",
    "python",
    "JavaScript",
    "JS",
    "PostgreSQL",
    "Postgres",
    "GitHub",
    "Github",
    "CI/CD",
    "CICD",
)
_KEYWORDS: Final = (
    "年収",
    "キャリアパス",
    "転職",
    "未経験",
    "将来性",
    "スキル",
    "資格",
    "リモートワーク",
    "副業",
    "フリーランス",
    "面接対策",
    "ロードマップ",
)

_TITLES: Final = (
    "【{year}最新】{ja}の年収・将来性は？未経験からのロードマップを徹底解説",
    "{ja}とは？仕事内容・必要スキル・年収相場を徹底解説【{year}年版】",
    "【完全ガイド】{ja}になるには？年収・キャリアパス・面接対策まで",
    "{ja}の年収はいくら？経験年数別の相場と転職のコツ（{year}）",
    "未経験から{ja}へ：必要スキルと学習ロードマップ【{year}】",
    "{en}（{ja}）の仕事内容と年収・将来性【{year}年最新】",
)
_META: Final = (
    "{ja}の仕事内容、必要なスキル、年収相場、キャリアパスを解説。未経験から目指すための学習方法も紹介する。",
    "{ja}は組織の成果を支える専門職。業務内容と求められるスキル、経験年数別の年収、将来性をまとめた。",
    "{en}（{ja}）として活躍するために必要な技術と考え方、転職市場での評価、面接でよく聞かれる質問を網羅。",
    "需要が高まる{ja}の役割と年収、キャリアの広げ方を、現場の事例とともにわかりやすく解説する。",
)
_LEVELS: Final = (
    ("新卒/未経験", "未経験 (0-1年)", "エントリー (0-2年)"),
    ("ジュニア (0-3年)", "ジュニア (1-3年)", "若手 (0-3年)"),
    ("ミドル (3-7年)", "ミドル (3-5年)", "中堅 (4-7年)"),
    ("シニア (7年以上/リード)", "シニア (5-10年)", "シニア (7年以上)"),
    ("リード (10年以上)", "テックリード (8年以上)", "リード/スペシャリスト"),
    ("マネージャー", "マネージャー (10年以上)", "シニアマネージャー"),
)
_NOTES: Final = (  # per level of `_LEVELS`
    ("ポテンシャル採用が中心。研修とOJTで{ja}の基礎を学ぶ。", "未経験からの挑戦も可能。周辺職種からの転向者も多い。"),
    (
        "{ja}としての基礎を固める時期。先輩の指導のもとで定型業務を担当。",
        "運用補助や小規模な改善を担当しながら経験を積む。",
    ),
    ("担当領域を自走できる。周辺部署との調整も任される。", "設計から運用まで一貫して担い、後輩の育成にも関わる。"),
    ("希少性が高く、外資やスタートアップでは上振れも。", "業界知識と専門性の掛け合わせで市場価値が大きく変わる。"),
    ("チームの技術方針を決め、採用や評価にも責任を持つ。", "複数プロジェクトを横断して品質と標準化を推進する。"),
    (
        "事業部門と連携し、投資判断や中期計画の策定に関与する。",
        "大手企業では年功的、ベンチャーでは成果連動の色が濃い。",
    ),
)

_FULLWIDTH: Final = str.maketrans("0123456789,.〜", "０１２３４５６７８９，．～")


# --------------------------------------------------------------------------------------------------
# Template


@dataclass(frozen=True)
class Template:
    """The template split once into blocks with slots; articles only fill them in."""

    blocks: tuple[str, ...]
    """Markdown blocks (joined with a blank line) holding the `_EN`/`_JA`/`_SALARY`/`_TAGS` slots."""
    block_bytes: tuple[int, ...]
    """UTF-8 size of each block with the template's own names, plus its separator."""
    droppable: tuple[int, ...]
    """Prose and list blocks that may be dropped or repeated to vary the size."""
    en_slots: int
    ja_slots: int
    en_bytes: int
    ja_bytes: int
    fixed_bytes: int
    """Size of every block once, without the salary rows and hashtags."""
    target_bytes: int
    sha256: str


def default_template() -> str:
    """The packaged template's text (the same bytes in a checkout and in an installed wheel)."""
    return resources.files("jobpipeline").joinpath(*TEMPLATE_RESOURCE).read_text(encoding="utf-8")


def prepare_template(text: str) -> Template:
    """Split `text` (a `---json` article with a 年収 table) into blocks and slots.

    Raises ValueError when the text has no JSON front matter or no salary table.
    """
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or not lines[0].startswith("---"):
        raise ValueError("template: the text must open with a `---json` front matter fence")
    close = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if close is None:
        raise ValueError("template: the front matter fence is never closed")
    try:
        front = json.loads("\n".join(lines[1:close]))
    except json.JSONDecodeError as exc:
        raise ValueError(f"template: the front matter is not JSON ({exc.msg})") from None
    if not isinstance(front, dict):
        raise ValueError("template: the front matter is not an object")
    body = lines[close + 1 :]

    header = next((i for i, line in enumerate(body) if line.startswith("|") and "年収" in line), None)
    if header is None:
        raise ValueError("template: no salary table (a Markdown table whose header has 年収)")
    end = header + 2
    while end < len(body) and body[end].startswith("|"):
        end += 1
    body[header:end] = [_SALARY]

    tags_at = next((i for i in range(len(body) - 1, -1, -1) if body[i].strip() == "#推奨タグ"), None)
    if tags_at is None:
        body += ["", "---", "", _TAGS]
    else:
        stop = tags_at + 1
        while stop < len(body) and body[stop].strip().startswith(("`#", "#")):
            stop += 1
        body[tags_at:stop] = [_TAGS]
    body_text = "\n".join(body)

    en_name, ja_name = _template_names(str(front.get("slug", "")), body_text)
    if en_name:
        body_text = body_text.replace(en_name, _EN)
    if ja_name:
        body_text = body_text.replace(ja_name, _JA)
    en_len, ja_len = len(en_name.encode()), len(ja_name.encode())

    blocks = tuple(body_text.split("\n\n"))
    sizes = tuple(len(_fill(b, en_name, ja_name, "", "").encode()) + 2 for b in blocks)
    salary_block = next(i for i, b in enumerate(blocks) if _SALARY in b)
    droppable = tuple(i for i, b in enumerate(blocks) if i > salary_block and _is_prose(b))
    if not droppable:
        raise ValueError("template: no prose paragraphs to vary the size with")
    return Template(
        blocks=blocks,
        block_bytes=sizes,
        droppable=droppable,
        en_slots=body_text.count(_EN),
        ja_slots=body_text.count(_JA),
        en_bytes=en_len,
        ja_bytes=ja_len,
        fixed_bytes=sum(sizes),
        target_bytes=len(text.encode("utf-8")),
        sha256=digest,
    )


def _template_names(slug: str, body: str) -> tuple[str, str]:
    """The template job's English name (`MLOps Engineer`) and Japanese name (`MLOpsエンジニア`)."""
    words = [w for w in slug.split("_") if w]
    if len("".join(words)) < 3:
        return "", ""
    edge = r"(?<![A-Za-z0-9])"
    en_pattern = edge + r"(?i:" + r"[ _-]?".join(map(re.escape, words)) + r")(?![A-Za-z0-9])"
    en_matches = re.findall(en_pattern, body)
    ja_matches = re.findall(edge + r"(?i:" + re.escape(words[0]) + r")[゠-ヿ]+", body)
    return _most_common(en_matches), _most_common(ja_matches)


def _fill(text: str, en: str, ja: str, salary: str, hashtags: str) -> str:
    return text.replace(_EN, en).replace(_JA, ja).replace(_SALARY, salary).replace(_TAGS, hashtags)


def _most_common(values: list[str]) -> str:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return max(counts, key=lambda v: (counts[v], v)) if counts else ""


def _is_prose(block: str) -> bool:
    stripped = block.strip()
    if len(stripped) < 40 or "\x00" in stripped.replace(_EN, "").replace(_JA, ""):
        return False
    return not stripped.startswith(("#", "|", "---", "***", "```"))


# --------------------------------------------------------------------------------------------------
# Identities and plan


class JobIdentity(NamedTuple):
    """Who article `index` is about; a function of `(seed, index)` only."""

    slug: str
    category: str
    en: str
    ja: str


def job_identity(seed: int, index: int) -> JobIdentity:
    """Slug, category and names of article `index` (also used for slugs no article has)."""
    rng = random.Random(f"{GENERATOR}:{seed}:job:{index}")
    category = CATEGORIES[rng.randrange(len(CATEGORIES))]
    modifiers, roles = _CATEGORIES[category]
    picked = rng.sample(modifiers, 2 if rng.random() < 0.35 else 1)
    role = _ROLE[roles[rng.randrange(len(roles))]]
    words = [*picked, role]
    slug = "_".join(w[0] for w in words) + f"_{index:05d}"
    en = " ".join(w[1] for w in words)
    ja = words[0][2]
    for word in words[1:]:
        sep = " " if ja[-1].isascii() and word[2][0].isascii() else ""
        ja += sep + word[2]
    return JobIdentity(slug, category, en, ja)


@dataclass(frozen=True)
class SynthPlan:
    """Everything `synth_article` needs: the template, the run's parameters and the broken files."""

    template: Template
    n: int
    seed: int
    broken: dict[int, str]
    """index -> broken kind (indices are never 0: a duplicate needs an earlier article to copy)."""
    planted: dict[int, str] = field(default_factory=dict)
    """index -> planted anomaly kind (sound files only)."""


def make_plan(n: int, seed: int, broken_share: float, template: Template, anomalies: int = 0) -> SynthPlan:
    """Choose the broken files: `round(n * broken_share)` of them, kinds spread evenly; then
    `anomalies` sound files of each anomaly kind (fewer when the corpus has too few sound files)."""
    count = min(round(n * broken_share), max(n - 1, 0))
    chosen = random.Random(f"{GENERATOR}:{seed}:broken").sample(range(1, n), count) if count else []
    broken = {index: BROKEN_KINDS[k % len(BROKEN_KINDS)] for k, index in enumerate(chosen)}
    sound = [i for i in range(n) if i not in broken]
    wanted = min(anomalies * len(ANOMALY_KINDS), len(sound))
    picked = random.Random(f"{GENERATOR}:{seed}:anomalies").sample(sound, wanted) if wanted else []
    planted = {index: ANOMALY_KINDS[k % len(ANOMALY_KINDS)] for k, index in enumerate(picked)}
    return SynthPlan(template=template, n=n, seed=seed, broken=broken, planted=planted)


# --------------------------------------------------------------------------------------------------
# One article


class SynthArticle(NamedTuple):
    """One generated file and what went into it."""

    relative_path: str
    data: bytes
    broken: str | None
    related_links: int
    dangling_links: int
    planted: str | None = None


def synth_article(plan: SynthPlan, index: int) -> SynthArticle:
    """Article `index` of the plan's corpus: a pure function of `(plan, index)`."""
    tpl = plan.template
    rng = random.Random(f"{GENERATOR}:{plan.seed}:article:{index}")
    job = job_identity(plan.seed, index)
    kind = plan.broken.get(index)
    anomaly = plan.planted.get(index)
    slug = job.slug
    if kind == "duplicate_slug":
        slug = job_identity(plan.seed, _earlier_sound(plan, rng, index)).slug
    related, dangling = _related(plan, rng, index)

    claimed: str | None = slug
    if kind == "missing_slug":
        claimed = None
    elif kind == "invalid_slug":
        claimed = slug.upper() if rng.random() < 0.5 else _full_width_slug(slug)
    # Spellings vary across articles (`Python` here, `python` there); one article writes each word once.
    tags = _unique_words(_pick(rng, _CATEGORY_TAGS[job.category], 3, 5) + _pick(rng, _ALIAS_TAGS, 2, 3))
    keywords = [job.ja, *_pick(rng, _CATEGORY_TAGS[job.category], 2, 4), *_pick(rng, _KEYWORDS, 2, 3)]
    year = 2024 + rng.randrange(3)
    front: dict[str, Any] = {
        "category": job.category,
        "keywords": keywords,
        "meta_description": _META[rng.randrange(len(_META))].format(ja=job.ja, en=job.en),
        "related_jobs": related,
        "slug": claimed,
        "tags": tags,
        "thumbnail": f"/static/img/{claimed or slug}.png",
        "hero_image": f"/static/img/{claimed or slug}_hero.png",
        "title": _TITLES[rng.randrange(len(_TITLES))].format(ja=job.ja, en=job.en, year=year),
    }
    if anomaly == "stale_title":
        front["title"] = _TITLES[0].format(ja=job.ja, year=STALE_YEAR)
    elif anomaly == "drift_key":
        front[DRIFT_KEY] = "planted"
    if claimed is None:
        del front["slug"]
    front_text = json.dumps(front, ensure_ascii=False, indent=2)
    if kind == "invalid_json":
        front_lines = front_text.split("\n")
        with_comma = [i for i, line in enumerate(front_lines) if line.endswith(",")]
        at = with_comma[rng.randrange(len(with_comma))]
        front_lines[at] = front_lines[at][:-1]
        front_text = "\n".join(front_lines)

    salary = _salary_table(rng, job, unparseable=kind == "salary_unparseable", anomaly=anomaly)
    hashtags = "#推奨タグ\n" + "\n".join(
        f"`#{t}`" for t in _unique([job.ja.replace(" ", ""), *(t.replace(" ", "") for t in tags[:4])])
    )
    head = f"---json\n{front_text}\n---\n" if kind != "unclosed_fence" else f"---json\n{front_text}\n"
    en, ja = job.en, job.ja
    en_bytes, ja_bytes = len(en.encode()), len(ja.encode())
    estimate = (
        len(head.encode())
        + tpl.fixed_bytes
        + len(salary.encode())
        + len(hashtags.encode())
        + tpl.en_slots * (en_bytes - tpl.en_bytes)
        + tpl.ja_slots * (ja_bytes - tpl.ja_bytes)
    )
    counts = _block_counts(tpl, rng, tpl.target_bytes + rng.randint(-SIZE_JITTER, SIZE_JITTER) - estimate)

    parts: list[str] = []
    for block, count in zip(tpl.blocks, counts, strict=True):
        parts.extend([block] * count)
    body = _fill("\n\n".join(parts), en, ja, salary, hashtags)
    if kind == "unclosed_fence":
        # Every `---` rule would close the fence; make them `***` so the fence stays open.
        body = re.sub(r"(?m)^---[ \t]*$", "***", body)
    text = head + body
    data = text.encode("shift_jis", errors="replace") if kind == "shift_jis" else text.encode("utf-8")
    name = slug if kind != "invalid_slug" else job.slug
    path = f"{index // FILES_PER_FOLDER:04d}/{index:07d}_{name}.txt"
    checked = kind in (None, "salary_unparseable")  # the only files check_corpus sees as slug owners
    return SynthArticle(path, data, kind, len(related) if checked else 0, dangling if checked else 0, anomaly)


def _earlier_sound(plan: SynthPlan, rng: random.Random, index: int) -> int:
    """An earlier article that is not broken (index 0 never is)."""
    for _ in range(32):
        candidate = rng.randrange(index)
        if candidate not in plan.broken:
            return candidate
    return 0


def _related(plan: SynthPlan, rng: random.Random, index: int) -> tuple[list[str], int]:
    """1-4 related slugs: other sound articles, about one in ten a slug no article has."""
    wanted = rng.randint(1, 4)
    related: list[str] = []
    dangling = 0
    for _ in range(wanted * 4):
        if len(related) == wanted:
            break
        target = None
        if rng.random() >= DANGLING_SHARE and plan.n > 1:
            candidate = rng.randrange(plan.n)
            if candidate != index and plan.broken.get(candidate) in (None, "salary_unparseable"):
                target = candidate
            else:
                continue
        if target is None:
            target = plan.n + rng.randrange(max(plan.n, 1))  # past the last article: nobody has it
        slug = job_identity(plan.seed, target).slug
        if slug not in related:
            related.append(slug)
            dangling += target >= plan.n
    return related, dangling


def _full_width_slug(slug: str) -> str:
    head = slug.split("_", 1)
    converted = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in head[0])
    return converted + ("_" + head[1] if len(head) > 1 else "")


def _pick(rng: random.Random, pool: tuple[str, ...], low: int, high: int) -> list[str]:
    return rng.sample(pool, min(rng.randint(low, high), len(pool)))


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _unique_words(values: list[str]) -> list[str]:
    """The first spelling of each word, in order: `["Python", "AWS", "python"]` -> `["Python", "AWS"]`."""
    first: dict[str, str] = {}
    for value in values:
        first.setdefault(value.casefold(), value)
    return list(first.values())


def _block_counts(tpl: Template, rng: random.Random, need: int) -> list[int]:
    """How often each block appears: drop prose blocks when over the target, repeat them when under."""
    counts = [1] * len(tpl.blocks)
    if need < 0:
        order = rng.sample(tpl.droppable, len(tpl.droppable))
        removed = 0
        for i in order[: len(order) // 2]:
            if removed >= -need:
                break
            counts[i] = 0
            removed += tpl.block_bytes[i]
    else:
        added = 0
        while added < need:
            i = tpl.droppable[rng.randrange(len(tpl.droppable))]
            counts[i] += 1
            added += tpl.block_bytes[i]
    return counts


# --------------------------------------------------------------------------------------------------
# Salary table


def _salary_table(rng: random.Random, job: JobIdentity, *, unparseable: bool, anomaly: str | None = None) -> str:
    k = rng.randint(3, 5)
    levels = sorted(rng.sample(range(len(_LEVELS)), k))
    low = rng.randrange(260, 480, 10) * (1 + levels[0] // 2)
    executive = levels[-1] >= 4 and rng.random() < 0.05
    rows: list[str] = []
    bad = set(rng.sample(range(k), rng.randint(1, k))) if unparseable else set()
    for row, level in enumerate(levels):
        high = _round_band(low * rng.uniform(1.35, 1.7))
        if executive and row == k - 1:
            low, high = rng.randrange(6_000, 9_000, 500), rng.randrange(10_000, 15_000, 1_000)
        label_options = _LEVELS[level]
        label = label_options[rng.randrange(len(label_options))]
        if row in bad:
            cell = ("応相談", "要相談", "非公開")[rng.randrange(3)]
        else:
            cell = _salary_cell(rng, low, high, first=row == 0, last=row == k - 1)
        if anomaly in ("inversion", "outlier"):
            # Closed ranges only: the checks judge bands with both ends (an open band has no midpoint).
            cell = f"{_man(low)}〜{_man(high)}"
            if anomaly == "outlier" and row == k // 2:
                cell = f"{_man(low * OUTLIER_FACTOR)}〜{_man(high * OUTLIER_FACTOR)}"
        note = _NOTES[level][rng.randrange(len(_NOTES[level]))].format(ja=job.ja)
        rows.append(f"| {label} | {cell} | {note} |")
        low = _round_band(high * rng.uniform(0.85, 1.0))
    if anomaly == "inversion":
        cells = [row.split(" | ") for row in rows]
        cells[0][1], cells[-1][1] = cells[-1][1], cells[0][1]
        rows = [" | ".join(parts) for parts in cells]
    return _SALARY_HEADER + "\n" + "\n".join(rows)


def _round_band(value: float) -> int:
    step = 10 if value < 1_000 else 50
    return max(step, round(value / step) * step)


def _man(value: int) -> str:
    """A figure in 万円 as the articles write it: `1,100`, or `1億2,000万` from 1億."""
    if value < 10_000:
        return f"{value:,}"
    oku, rest = divmod(value, 10_000)
    return f"{oku}億" + (f"{rest:,}万" if rest else "")


_CELL_FORMATS: Final = (
    ("range", 40),
    ("dash", 10),
    ("full_width", 8),
    ("range_units", 6),
    ("decimal", 4),
    ("single", 5),
    ("plus", 8),
    ("ijou", 5),
    ("chou", 4),
    ("from", 4),
    ("upto", 4),
)
_LAST_ONLY: Final = frozenset(("plus", "ijou", "chou", "from"))


def _salary_cell(rng: random.Random, low: int, high: int, *, first: bool, last: bool) -> str:
    """A salary cell in one of the forms `normalize_salary` reads with a `(万円)` header."""
    if high >= 10_000:
        return f"{_man(low)}〜{_man(high)}"
    options = [(f, w) for f, w in _CELL_FORMATS if (last or f not in _LAST_ONLY) and (first or f != "upto")]
    form = rng.choices([f for f, _ in options], weights=[w for _, w in options])[0]
    lo, hi = _man(low), _man(high)
    if form == "range":
        return f"{lo}〜{hi}"
    if form == "dash":
        return f"{lo}-{hi}"
    if form == "full_width":
        return f"{lo}〜{hi}".translate(_FULLWIDTH)
    if form == "range_units":
        return f"{lo}万円〜{hi}万円"
    if form == "decimal":
        return f"{lo}.5〜{hi}"
    if form == "single":
        return _man(_round_band((low + high) / 2))
    if form == "plus":
        return f"{lo}〜{hi}+"
    if form == "ijou":
        return f"{lo}万円以上"
    if form == "chou":
        return f"{lo}万超"
    if form == "from":
        return f"{lo}万〜"
    return f"〜{hi}"


# --------------------------------------------------------------------------------------------------
# Corpus


@dataclass(frozen=True)
class SynthReport:
    """What `generate_corpus` wrote."""

    out: str
    n: int
    seed: int
    broken_share: float
    files_written: int
    bytes_written: int
    broken: dict[str, int]
    """Broken files by kind (every kind listed, zeros included)."""
    broken_files: dict[str, str]
    """Relative path -> broken kind, in path order."""
    related_links: int
    """Related links in the files that own their slug (sound and salary-broken ones)."""
    dangling_links: int
    """Of those, links to a slug no article has."""
    seconds: float
    planted_files: dict[str, str] = field(default_factory=dict)
    """Relative path -> planted anomaly kind, in path order (see ANOMALY_KINDS)."""

    def marker(self, template_sha256: str, *, complete: bool = True) -> dict[str, Any]:
        """The `.synth.json` record (no timing, so it is byte-identical across runs)."""
        return {
            "generator": GENERATOR,
            "format": FORMAT_VERSION,
            "complete": complete,
            "n": self.n,
            "seed": self.seed,
            "broken_share": self.broken_share,
            "template_sha256": template_sha256,
            "files": self.files_written,
            "bytes": self.bytes_written,
            "related_links": self.related_links,
            "dangling_links": self.dangling_links,
            "broken": self.broken,
            "broken_files": self.broken_files,
            # Only when asked for: corpora without anomalies keep the marker they always had.
            **({"planted_files": self.planted_files} if self.planted_files else {}),
        }


def generate_corpus(
    out: Path,
    n: int,
    *,
    seed: int = 0,
    broken_share: float = 0.02,
    template: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    anomalies: int = 0,
) -> SynthReport:
    """Write `n` synthetic articles into `out` (see the module docstring); same arguments, same bytes.

    `template` is the text of an article to imitate (default: `default_template()`, the real seed's copy).
    `progress(done, total)` is called every 500 files and at the end.
    `anomalies`: plant this many of each kind in ANOMALY_KINDS (see the module docstring).
    Raises ValueError for bad arguments, or when `out` holds anything but a previous synthetic corpus.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a whole number ≥ 0, got {n!r}")
    if not 0.0 <= broken_share <= 1.0:
        raise ValueError(f"broken_share must be between 0 and 1, got {broken_share!r}")
    started = time.perf_counter()
    tpl = prepare_template(template if template is not None else default_template())
    if isinstance(anomalies, bool) or not isinstance(anomalies, int) or anomalies < 0:
        raise ValueError(f"anomalies must be a whole number ≥ 0, got {anomalies!r}")
    plan = make_plan(n, seed, broken_share, tpl, anomalies)
    out = Path(out)
    _clear_previous(out)
    out.mkdir(parents=True, exist_ok=True)
    marker_path = out / MARKER

    def report(
        files: int,
        size: int,
        related: int,
        dangling: int,
        broken_files: dict[str, str],
        planted_files: dict[str, str] | None = None,
    ) -> SynthReport:
        broken = dict.fromkeys(BROKEN_KINDS, 0)
        for kind in broken_files.values():
            broken[kind] += 1
        return SynthReport(
            out=str(out),
            n=n,
            seed=seed,
            broken_share=broken_share,
            files_written=files,
            bytes_written=size,
            broken=broken,
            broken_files=broken_files,
            related_links=related,
            dangling_links=dangling,
            seconds=round(time.perf_counter() - started, 3),
            planted_files=planted_files or {},
        )

    _write_marker(marker_path, report(0, 0, 0, 0, {}).marker(tpl.sha256, complete=False))
    size = related = dangling = 0
    broken_files: dict[str, str] = {}
    planted_files: dict[str, str] = {}
    for index in range(n):
        article = synth_article(plan, index)
        if index % FILES_PER_FOLDER == 0:
            (out / article.relative_path).parent.mkdir(exist_ok=True)
        with open(out / article.relative_path, "wb") as handle:
            handle.write(article.data)
        size += len(article.data)
        related += article.related_links
        dangling += article.dangling_links
        if article.broken is not None:
            broken_files[article.relative_path] = article.broken
        if article.planted is not None:
            planted_files[article.relative_path] = article.planted
        done = index + 1
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == n):
            progress(done, n)
    result = report(n, size, related, dangling, broken_files, planted_files)
    _write_marker(marker_path, result.marker(tpl.sha256))
    return result


def _write_marker(path: Path, record: dict[str, Any]) -> None:
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


_FOLDER_RE: Final = re.compile(r"[0-9]{4,}")
_FILE_RE: Final = re.compile(r"[0-9]{7,}_[^/\\]*\.txt")


def _clear_previous(out: Path) -> None:
    """Empty `out` when it holds only a previous synthetic corpus; refuse anything else."""
    if not out.exists() and not out.is_symlink():
        return
    if out.is_symlink() or not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder: pick a new or empty folder")
    names = sorted(os.listdir(out))
    if not names:
        return
    refuse = f"{out} is not empty and is not a synthetic corpus"
    if MARKER not in names:
        raise ValueError(f"{refuse} (no {MARKER}): refusing to overwrite it; pick a new or empty folder")
    try:
        record = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        record = None
    if not isinstance(record, dict) or record.get("generator") != GENERATOR:
        raise ValueError(f"{refuse} ({MARKER} was not written by {GENERATOR}): refusing to overwrite it")
    folders: list[Path] = []
    for name in names:
        if name == MARKER:
            continue
        path = out / name
        if path.is_symlink() or not path.is_dir() or not _FOLDER_RE.fullmatch(name):
            raise ValueError(f"{refuse}: `{name}` was not written by {GENERATOR}; move it away first")
        for child in sorted(os.listdir(path)):
            item = path / child
            if item.is_symlink() or not item.is_file() or not _FILE_RE.fullmatch(child):
                raise ValueError(f"{refuse}: `{name}/{child}` was not written by {GENERATOR}; move it away first")
        folders.append(path)
    for folder in folders:
        shutil.rmtree(folder)
    (out / MARKER).unlink()
