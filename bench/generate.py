"""A synthetic national inventory in the interchange format, from a fixed seed.

    .venv/bin/python bench/generate.py                       # 1,000,000 nodes, 5,000,000 relations
    .venv/bin/python bench/generate.py --small               # 20,000 nodes, 100,000 relations
    .venv/bin/python bench/generate.py --nodes 300 --relations 1000 --seed 7 --out /tmp/inv

Shaped like seeds/: a Place hierarchy (country > departments > provinces > districts > localities),
communities in places practising traditions, crafts and recipes with UNESCO domains, practitioners in
teacher forests (LEARNED_FROM, at most 20 levels deep) with kin, memberships and certifications,
organizations, stories for visitors, and Source nodes cited by nearly every record. Names are in
Spanish and English, with accents, eñes and apostrophes.

`relations` counts every edge the store will hold: relation lines plus the DOCUMENTED_BY links a
node's `sources` list makes. Both totals are exact. Output is streamed (memory stays in the tens of
megabytes at the default size): 00-sources.jsonl, 10-nodes.jsonl, 20-relations.jsonl, and
manifest.json (counts, seed, and the probe ids the suite measures with), written last: a folder
with a manifest is complete. Everything anonymous readers are asked about is published and public;
a few practitioners (leaves of the teacher forests) are not, so that the visibility rule has work.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import vocab
from plan import Plan, PlanError, add_size_options, element_kind, make_plan, size_from

# Changing what the generator writes must change this: the suite's cache is keyed by it.
GENERATOR_VERSION = 1
DATA_DIR = Path(__file__).resolve().parent / ".data"
FILES = ("00-sources.jsonl", "10-nodes.jsonl", "20-relations.jsonl")
MANIFEST = "manifest.json"
MAX_LEVEL = 20  # the deepest a teacher forest goes
DEEP_LEVEL = 12  # lineage probes start at least this deep
PROBES = 1000  # most probe ids kept per figure
PAIRS_PER_FOREST = 4


def plain(text: str) -> str:
    """Lower case without accents or apostrophes: how a visitor types a name."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch) and ch not in "'’").lower()


STOPWORDS = frozenset(("de", "del", "la", "las", "los", "el", "en", "y", "a"))


def _phrase(name: str, place: str, department: str) -> tuple[str, str, str]:
    """Three words a visitor would search an element by: the first word of its name, its most
    telling other word (else its department, which its summary names), and its place."""
    words = name.split()
    place_words = set(place.split())
    rest = [w for w in words[1:] if w.lower() not in STOPWORDS and w not in place_words]
    core = max(rest, key=len) if rest else max(department.split(), key=len)
    return words[0], core, max(place.split(), key=len)


class Reservoir:
    """A uniform sample of at most ``size`` items from a stream (Algorithm R)."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size, self.rng, self.seen = size, rng, 0
        self.items: list[Any] = []

    def offer(self, item: Any) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
        else:
            j = self.rng.randrange(self.seen)
            if j < self.size:
                self.items[j] = item


@dataclass
class Place:
    id: str
    name: str
    level: str
    dept: int
    lat: float
    lon: float


@dataclass
class Element:
    id: str
    kind: str
    es: str
    en: str
    dept: int
    place: str
    role: tuple[str, str]
    phrase: tuple[str, str, str]


class Writer:
    """Streams records into the three files and counts what it wrote."""

    def __init__(self, folder: Path) -> None:
        self.files = {name: (folder / name).open("w", encoding="utf-8", newline="\n", buffering=1 << 20)
                      for name in FILES}
        self.kinds: dict[str, int] = {}
        self.rels: dict[str, int] = {}
        self.citations = 0
        self.hidden = 0
        self._dumps = json.JSONEncoder(ensure_ascii=False).encode

    def node(self, kind: str, node_id: str, name: str, en: str | None = None, *, summary: tuple[str, str] | None = None,
             props: dict[str, Any] | None = None, sources: list[str] | None = None, confidence: str = "high",
             extra: dict[str, str] | None = None, public: bool = True) -> None:
        rec: dict[str, Any] = {"kind": kind, "id": node_id, "name": name, "names": {"es": name, "en": en or name}}
        if summary:
            rec["summary"] = {"es": summary[0], "en": summary[1]}
        if props:
            rec["properties"] = props
        if sources:
            rec["sources"] = sources
            self.citations += len(sources)
        rec["confidence"] = confidence
        if extra:
            rec.update(extra)
        if not public:
            self.hidden += 1
        out = self.files[FILES[0] if kind == "Source" else FILES[1]]
        out.write(self._dumps(rec))
        out.write("\n")
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def rel(self, rel: str, frm: str, to: str, props: dict[str, Any] | None = None, sources: list[str] | None = None,
            confidence: str | None = None) -> None:
        rec: dict[str, Any] = {"rel": rel, "from": frm, "to": to}
        if props:
            rec["properties"] = props
        if sources:
            rec["sources"] = sources
        if confidence:
            rec["confidence"] = confidence
        out = self.files[FILES[2]]
        out.write(self._dumps(rec))
        out.write("\n")
        self.rels[rel] = self.rels.get(rel, 0) + 1

    def close(self) -> None:
        for f in self.files.values():
            f.close()

    @property
    def edges(self) -> int:
        return sum(self.rels.values()) + self.citations


class Inventory:
    """One pass over the plan, writing as it goes; keeps only places, elements, communities and
    one teacher forest at a time in memory."""

    def __init__(self, plan: Plan, out: Writer) -> None:
        self.plan, self.w = plan, out
        self.rng = random.Random(plan.seed + 1)
        prng = random.Random(plan.seed + 2)  # probes: choosing them does not change the data
        self.probe_nodes = Reservoir(PROBES, prng)
        self.probe_deep = Reservoir(PROBES, prng)
        self.probe_fallback = Reservoir(PROBES, prng)
        self.probe_pairs = Reservoir(PROBES, prng)
        self.probe_search = Reservoir(PROBES, prng)
        self.feature_people = Reservoir(4096, prng)
        self.source_ids = [f"src-{i:07d}" for i in range(plan.sources)]
        self.places: list[Place] = []
        self.localities: list[Place] = []
        self.districts: list[Place] = []
        self.elements: list[Element] = []
        self.dept_elements: list[list[int]] = [[] for _ in range(plan.departments)]
        self.communities: list[tuple[str, str, int]] = []
        self.dept_communities: list[list[int]] = [[] for _ in range(plan.departments)]
        self.org_ids: list[str] = []
        self.levels: dict[int, int] = {}
        self._starts = [0]
        for n in plan.trees[:-1]:
            self._starts.append(self._starts[-1] + n)
        self._last_in_province: dict[int, list[str]] = {}
        self._last_any: list[str] = []

    # -- helpers -------------------------------------------------------------------------------
    def cite(self) -> list[str] | None:
        k = self.plan.quotas["citations"].take()
        return sorted(self.source_ids[i] for i in self.rng.sample(range(self.plan.sources), k)) if k else None

    def rel_source(self) -> list[str] | None:
        # Relation lines carry their own provenance (a property, not an edge) in about half the cases.
        return [self.rng.choice(self.source_ids)] if self.rng.random() < 0.45 else None

    def place_name(self) -> str:
        stem, end = self.rng.choice(vocab.PLACE_STEMS), self.rng.choice(vocab.PLACE_ENDINGS)
        name = stem + (end[1:] if stem[-1] == end[0] else end)
        return f"{self.rng.choice(vocab.PLACE_SAINTS)} {name}" if self.rng.random() < 0.2 else name

    def person_name(self) -> str:
        r = self.rng
        return f"{r.choice(vocab.GIVEN_NAMES)} {r.choice(vocab.SURNAMES)} {r.choice(vocab.SURNAMES)}"

    # -- the passes ----------------------------------------------------------------------------
    def run(self) -> None:
        self.sources()
        self.place_tree()
        self.organizations()
        self.community_nodes()
        self.element_nodes()
        for t, size in enumerate(self.plan.trees):
            self.forest(t, size)
        self.story_nodes()

    def sources(self) -> None:
        r = self.rng
        for sid in self.source_ids:
            kind, es, en = r.choice(vocab.SOURCE_TYPES)
            topic = self.place_name()
            year = r.randint(1950, 2025)
            date = str(year) if r.random() < 0.5 else f"{year}-{r.randint(1, 12):02d}"
            self.w.node("Source", sid, f"{es}: {topic} ({year})", f"{en}: {topic} ({year})",
                        props={"title": f"{es} — {topic}", "url": f"https://example.org/fuentes/{sid}",
                               "publisher": r.choice(vocab.PUBLISHERS), "date": date, "type": kind},
                        confidence=r.choice(("high", "medium")))

    def place_tree(self) -> None:
        p, r = self.plan, self.rng
        self.w.node("Place", "pe", "Perú", "Peru", props={"level": "country", "lat": -9.19, "lon": -75.02},
                    summary=("República andina de Sudamérica.", "Andean republic of South America."),
                    sources=self.cite())
        depts = []
        for d in range(p.departments):
            name = vocab.DEPARTMENTS[d]
            place = Place(f"dep-{d:02d}", name, "department", d, round(r.uniform(-18.3, -0.1), 4),
                          round(r.uniform(-81.3, -68.7), 4))
            depts.append(place)
            self._place(place, "pe", ("Departamento del Perú.", "Department of Peru."))
        provs = []
        for v in range(p.provinces):
            parent = depts[v % p.departments]
            provs.append(self._child(f"prov-{v:04d}", "province", parent, 0.8))
        for x in range(p.districts):
            self.districts.append(self._child(f"dist-{x:05d}", "district", provs[x % p.provinces], 0.3))
        for loc in range(p.localities):
            self.localities.append(self._child(f"loc-{loc:06d}", "locality", self.districts[loc % p.districts], 0.1))

    def _child(self, pid: str, level: str, parent: Place, spread: float) -> Place:
        r = self.rng
        place = Place(pid, self.place_name(), level, parent.dept, round(parent.lat + r.uniform(-spread, spread), 4),
                      round(parent.lon + r.uniform(-spread, spread), 4))
        es = {"province": "Provincia", "district": "Distrito", "locality": "Localidad"}[level]
        en = {"province": "Province", "district": "District", "locality": "Locality"}[level]
        dept = vocab.DEPARTMENTS[parent.dept]
        self._place(place, parent.id, (f"{es} de {dept}, en {parent.name}.", f"{en} of {dept}, in {parent.name}."))
        return place

    def _place(self, place: Place, parent: str, summary: tuple[str, str]) -> None:
        self.places.append(place)
        self.w.node("Place", place.id, place.name, props={"level": place.level, "lat": place.lat, "lon": place.lon},
                    summary=summary, sources=self.cite())
        self.w.rel("LOCATED_IN", place.id, parent, sources=self.rel_source())
        self.probe_nodes.offer(place.id)

    def organizations(self) -> None:
        r = self.rng
        for i in range(self.plan.organizations):
            kind, es, en = r.choice(vocab.ORGANIZATIONS)
            d = r.randrange(self.plan.departments)
            where = vocab.DEPARTMENTS[d] if kind == "government" else self.place_name()
            oid = f"org-{i:05d}"
            self.org_ids.append(oid)
            self.w.node("Organization", oid, es.format(place=where), en.format(place=where), props={"type": kind},
                        sources=self.cite())
            self.w.rel("LOCATED_IN", oid, f"dep-{d:02d}", sources=self.rel_source())
            self.probe_nodes.offer(oid)

    def community_nodes(self) -> None:
        r = self.rng
        org_q = self.plan.quotas["community_org"]
        for i in range(self.plan.communities):
            loc = r.choice(self.localities)
            cid = f"com-{i:06d}"
            es, en = ((f"Comunidad campesina de {loc.name}", f"Peasant community of {loc.name}")
                      if r.random() < 0.7 else (f"Ayllu {loc.name}", f"Ayllu {loc.name}"))
            self.communities.append((cid, es, loc.dept))
            self.dept_communities[loc.dept].append(i)
            self.w.node("Community", cid, es, en, summary=(f"Comunidad de {vocab.DEPARTMENTS[loc.dept]}.",
                                                          f"A community of {vocab.DEPARTMENTS[loc.dept]}."),
                        sources=self.cite())
            self.w.rel("LOCATED_IN", cid, loc.id, sources=self.rel_source())
            if org_q.take():
                self.w.rel("MEMBER_OF", cid, r.choice(self.org_ids), sources=self.rel_source())
            self.probe_nodes.offer(cid)

    def element_nodes(self) -> None:
        r, p, q = self.rng, self.plan, self.plan.quotas
        traditions: list[int] = []
        by_kind: dict[str, list[int]] = {"Tradition": [], "Craft": [], "Recipe": []}
        for i in range(p.elements):
            kind = element_kind(i)
            where = r.choices((self.districts, self.places[1 + p.departments:1 + p.departments + p.provinces],
                               self.places[1:1 + p.departments]), weights=(5, 3, 2))[0]
            place = r.choice(where)
            props, el = self._element(i, kind, place)
            com = self._community_in(place.dept)
            props["consent"] = {"status": "granted", "given_by": self.communities[com][1],
                                "date": f"{r.randint(2005, 2024)}-{r.randint(1, 12):02d}",
                                "scope": ["publication", "education"]}
            self.w.node(kind, el.id, el.es, el.en, props=props, sources=self.cite(),
                        summary=(f"Patrimonio de {place.name}, {vocab.DEPARTMENTS[place.dept]}.",
                                 f"Heritage of {place.name}, {vocab.DEPARTMENTS[place.dept]}."))
            self.w.rel("LOCATED_IN", el.id, place.id, sources=self.rel_source())
            practised = {com}
            self.w.rel("PRACTICES", self.communities[com][0], el.id, sources=self.rel_source(), confidence="high")
            for _ in range(q["more_practices"].take()):
                other = self._other(practised, self.plan.communities)
                practised.add(other)
                self.w.rel("PRACTICES", self.communities[other][0], el.id, sources=self.rel_source())
            if i >= 1 and q["associated"].take():
                self.w.rel("ASSOCIATED_WITH", el.id, self.elements[r.randrange(i)].id, sources=self.rel_source())
            if i >= 1 and q["part_of"].take():
                self.w.rel("PART_OF", el.id, self.elements[r.choice(traditions)].id, sources=self.rel_source())
            if by_kind[kind] and q["derived"].take():
                self.w.rel("DERIVED_FROM", el.id, self.elements[r.choice(by_kind[kind])].id,
                           sources=self.rel_source(), confidence="medium")
            self.elements.append(el)
            self.dept_elements[place.dept].append(i)
            by_kind[kind].append(i)
            if kind == "Tradition":
                traditions.append(i)
            self.probe_nodes.offer(el.id)
            self.probe_search.offer(el.phrase)

    def _element(self, i: int, kind: str, place: Place) -> tuple[dict[str, Any], Element]:
        r = self.rng
        props: dict[str, Any] = {}
        if kind == "Tradition":
            category, es_t, en_t, cores = r.choice(vocab.TRADITIONS)
            core_es, core_en = r.choice(cores)
            es, en = es_t.format(core=core_es, place=place.name), en_t.format(core=core_en, place=place.name)
            props["domains"] = r.sample(("performing-arts", "social-practices", "oral-traditions",
                                         "knowledge-nature-universe"), r.randint(1, 2))
            props["category"] = category
            prefix = "trad"
        elif kind == "Craft":
            es_t, en_t, materials, techniques = r.choice(vocab.CRAFTS)
            es, en = es_t.format(place=place.name), en_t.format(place=place.name)
            props["domains"] = ["traditional-craftsmanship"]
            props["materials"], props["techniques"] = list(materials), list(techniques)
            prefix = "craft"
        else:
            es_t, en_t, ingredients, occasion = r.choice(vocab.RECIPES)
            es, en = es_t.format(place=place.name), en_t.format(place=place.name)
            props["domains"] = ["social-practices", "knowledge-nature-universe"][: r.randint(1, 2)]
            props["ingredients"], props["occasion"] = list(ingredients), occasion
            props["served_with"] = r.sample(vocab.SERVED_WITH, 2)
            prefix = "recipe"
        if r.random() < 0.005:
            props["unesco"] = {"list": r.choice(("representative", "urgent-safeguarding")),
                               "year": r.randint(2001, 2024), "element_no": f"{r.randint(100, 2200):05d}"}
        if r.random() < 0.08:
            props["declarations"] = [{"level": "national", "year": r.randint(1986, 2024),
                                      "resolution": f"RVM {r.randint(1, 300):03d}-{r.randint(2000, 2024)}-VMPCIC/MC"}]
        role = r.choice(vocab.ROLES[kind])
        return props, Element(f"{prefix}-{i:07d}", kind, es, en, place.dept, place.id, role,
                              _phrase(es, place.name, vocab.DEPARTMENTS[place.dept]))

    def _community_in(self, dept: int) -> int:
        pool = self.dept_communities[dept]
        return self.rng.choice(pool) if pool else self.rng.randrange(self.plan.communities)

    def _element_in(self, dept: int) -> int:
        pool = self.dept_elements[dept]
        return self.rng.choice(pool) if pool else self.rng.randrange(self.plan.elements)

    def _other(self, taken: set[int], n: int) -> int:
        while True:
            j = self.rng.randrange(n)
            if j not in taken:
                return j

    def forest(self, t: int, size: int) -> None:
        """One teacher forest: a master, and students of students, at most MAX_LEVEL levels deep."""
        r, q, w = self.rng, self.plan.quotas, self.w
        district = r.choice(self.districts)
        dept = district.dept
        local = self._localities_of(district)
        element = self._element_in(dept)
        community = self._community_in(dept)
        ids = [f"prac-{self._starts[t] + k:07d}" for k in range(size)]
        level: list[int] = []
        primary: list[int] = []
        names: list[str] = []
        public_deep: list[str] = []
        for k, pid in enumerate(ids):
            name = self.person_name()
            teachers = self._teachers(k, level, primary)
            lvl = max((level[j] for j in teachers), default=-1) + 1
            level.append(lvl)
            primary.append(teachers[0] if teachers else -1)
            names.append(name)
            self.levels[lvl] = self.levels.get(lvl, 0) + 1
            ei = element if r.random() < 0.7 else self._element_in(dept)
            el = self.elements[ei]
            loc = r.choice(local)
            # Some leaves of the forests are not public: shared with their community only, or with
            # consent still pending. Leaves only, so that no public lineage runs through them.
            hide = ("community" if r.random() < 0.5 else "pending") if lvl == MAX_LEVEL and r.random() < 0.05 else None
            born = r.randint(1905, 2004)
            props: dict[str, Any] = {"birth_year": born, "roles": [el.role[0]]}
            if born < 1950 and r.random() < 0.6:
                props["death_year"] = min(2025, born + r.randint(45, 95))
            # Every public living person needs a consent basis (docs/outline.md); the random draws stay as they
            # were, so that an inventory of a given seed is the one earlier benchmarks measured.
            granted = hide == "pending" or r.random() < 0.3
            if hide == "pending":
                props["consent"] = {"status": "pending", "given_by": name, "scope": ["publication"]}
            else:
                props["consent"] = {"basis": "given", "given_by": name,
                                    **({"status": "granted", "scope": ["publication"]} if granted else {})}
            teacher = f" Aprendió de {names[teachers[0]]}." if teachers else ""
            teacher_en = f" Learned from {names[teachers[0]]}." if teachers else ""
            where = f"{loc.name}, {vocab.DEPARTMENTS[dept]}"
            w.node("Practitioner", pid, name, props=props, sources=self.cite(),
                   summary=(f"{el.role[0].capitalize()} de {where}.{teacher}",
                            f"{el.role[1].capitalize()} from {where}.{teacher_en}"),
                   extra={"sensitivity": "community"} if hide == "community" else None, public=hide is None)
            w.rel("LOCATED_IN", pid, loc.id, sources=self.rel_source())
            w.rel("PRACTITIONER_OF", pid, el.id, props={"role": el.role[0]}, sources=self.rel_source())
            if q["second_practice"].take():
                other = self.elements[self._other({ei}, self.plan.elements)]
                w.rel("PRACTITIONER_OF", pid, other.id, props={"role": other.role[0]})
            for n, j in enumerate(teachers):
                w.rel("LEARNED_FROM", pid, ids[j], props={
                    "period": f"{(born + 10) // 10 * 10}s", "setting": "taller familiar" if n == 0 else "aprendizaje"},
                    sources=self.rel_source(), confidence="high" if n == 0 else "medium")
            if k and q["kin"].take():
                j = r.randrange(k)
                kinship = "child" if j == teachers[0] else r.choice(("sibling", "spouse", "relative", "grandchild"))
                w.rel("KIN_OF", pid, ids[j], props={"kinship": kinship}, sources=self.rel_source())
            if q["member_of"].take():
                com = community if r.random() < 0.7 else self._community_in(dept)
                w.rel("MEMBER_OF", pid, self.communities[com][0], sources=self.rel_source())
            if q["certified"].take():
                w.rel("CERTIFIED_BY", pid, r.choice(self.org_ids),
                      props={"year": r.randint(1975, 2024), "title": "Amauta de la Artesanía Peruana"})
            if hide is None:
                self.probe_nodes.offer(pid)
                self.feature_people.offer(pid)
                if lvl >= DEEP_LEVEL:
                    self.probe_deep.offer((pid, lvl))
                    public_deep.append(pid)
                elif lvl:
                    self.probe_fallback.offer((pid, lvl))
        # The root is never hidden (only leaves at the deepest level are).
        self._pair(district, public_deep or [ids[0]])

    def _teachers(self, k: int, level: list[int], primary: list[int]) -> list[int]:
        """A student's teachers among the earlier members: often a recent one (deep chains), sometimes
        any (bushy branches); never one at the deepest level; a second one for some."""
        if not k:
            return []
        r = self.rng
        cand = k - 1 - r.randrange(min(k, 4)) if r.random() < 0.6 else r.randrange(k)
        while level[cand] >= MAX_LEVEL:
            cand = primary[cand]
        teachers = [cand]
        if k >= 2 and self.plan.quotas["second_teacher"].take():
            while True:
                other = r.randrange(k)
                if other != cand and level[other] < MAX_LEVEL:
                    teachers.append(other)
                    return teachers
        return teachers

    def _localities_of(self, district: Place) -> list[Place]:
        # Localities hang off districts round-robin (place_tree), so a district's are a stride apart.
        x = int(district.id.split("-")[1])
        return self.localities[x::self.plan.districts]

    def _pair(self, district: Place, deep: list[str]) -> None:
        """Path probes: practitioners of this forest, each with one of an earlier forest of the same
        province (else of the forest before)."""
        province = int(district.id.split("-")[1]) % self.plan.provinces
        mine = deep[:: max(1, len(deep) // PAIRS_PER_FOREST)][:PAIRS_PER_FOREST]
        earlier = self._last_in_province.get(province) or self._last_any
        for a, b in zip(mine, earlier, strict=False):
            self.probe_pairs.offer((a, b))
        self._last_in_province[province] = mine
        self._last_any = mine

    def story_nodes(self) -> None:
        r, q = self.rng, self.plan.quotas
        people = self.feature_people.items or []
        for i in range(self.plan.stories):
            sid = f"story-{i:06d}"
            el = r.choice(self.elements)
            featured = {el.id}
            for _ in range(q["more_features"].take()):
                pool = r.random()
                while True:
                    if pool < 0.4 and people:
                        cand = r.choice(people)
                    elif pool < 0.7:
                        cand = r.choice(self.elements).id
                    elif pool < 0.85:
                        cand = r.choice(self.communities)[0]
                    else:
                        cand = r.choice(self.places[1:]).id
                    if cand not in featured:
                        break
                    pool = r.random()
                featured.add(cand)
            dept = vocab.DEPARTMENTS[el.dept]
            title_es, title_en = f"{el.es}: una historia de {dept}", f"{el.en}: a story from {dept}"
            body_es = "\n\n".join((
                f"En {dept} se cuenta que {el.es} nació de una promesa. Los mayores la enseñaron a sus hijos "
                "y nietos, y cada año la comunidad se reúne para renovarla con música, comida y trabajo compartido.",
                f"Quien visita {dept} puede acompañar a las familias que la mantienen viva: escuchar a los maestros, "
                "aprender los pasos o las técnicas y probar lo que se prepara para la ocasión. Se pide respeto por "
                "los espacios sagrados y por las decisiones de la comunidad sobre lo que se fotografía.",
                "Los maestros dicen que nada de esto se aprende en un día: se aprende mirando, equivocándose y "
                "volviendo al año siguiente.",
            ))
            body_en = "\n\n".join((
                f"In {dept} people say that {el.en} was born of a vow. The elders taught it to their children and "
                "grandchildren, and every year the community gathers to renew it with music, food and shared work.",
                f"Visitors to {dept} can join the families who keep it alive: listen to the masters, learn the steps "
                "or the techniques and taste what is prepared for the occasion. Respect the sacred places and the "
                "community's decisions about what may be photographed.",
                "The masters say none of this is learned in a day: it is learned by watching, by making mistakes "
                "and by coming back the next year.",
            ))
            self.w.node("Story", sid, title_es, title_en, props={"titles": {"es": title_es, "en": title_en},
                                                                "body": {"es": body_es, "en": body_en}},
                        summary=(f"Una historia sobre {el.es}.", f"A story about {el.en}."), sources=self.cite())
            self.w.rel("COVER_PLACE", sid, el.place)
            for target in sorted(featured):
                self.w.rel("FEATURES", sid, target)
            self.probe_nodes.offer(sid)

    # -- the manifest ----------------------------------------------------------------------------
    def probes(self) -> dict[str, Any]:
        deep = list(self.probe_deep.items)
        if len(deep) < 50:
            deep += sorted(self.probe_fallback.items, key=lambda x: (-x[1], x[0]))[: 50 - len(deep)]
        phrases = []
        for n, (head, core, place) in enumerate(self.probe_search.items):
            text = f"{head} {core} {place}"
            phrases.append(plain(text) if n % 2 else text.lower())
        return {
            "node": list(self.probe_nodes.items),
            "lineage": [{"id": i, "level": lvl} for i, lvl in deep],
            "path": [list(p) for p in self.probe_pairs.items],
            "story": [f"story-{i:06d}" for i in range(min(self.plan.stories, PROBES))],
            "search": phrases,
        }


def generate(plan: Plan, folder: Path, *, log: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Write the inventory into ``folder`` (replaced if it exists, once the new one is complete) and return
    the manifest."""
    started = time.perf_counter()
    tmp = folder.with_name(folder.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    writer = Writer(tmp)
    inv = Inventory(plan, writer)
    try:
        inv.run()
    finally:
        writer.close()
    nodes = sum(writer.kinds.values())
    short = {k: (q.given, q.eligible) for k, q in plan.quotas.items() if q.given != q.eligible}
    if nodes != plan.nodes or writer.edges != plan.relations or short:
        # The plan counted the records eligible for each optional edge; the pass must meet each one.
        raise RuntimeError(f"generator bug: planned {plan.nodes} nodes and {plan.relations} relations, "
                           f"wrote {nodes} and {writer.edges}; shares taken/eligible that differ: {short}")
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "seed": plan.seed,
        "nodes": plan.nodes,
        "relations": plan.relations,
        "files": list(FILES),
        "bytes": sum((tmp / f).stat().st_size for f in FILES),
        "seconds": round(time.perf_counter() - started, 2),
        "counts": {
            "nodes_by_kind": dict(sorted(writer.kinds.items())),
            "relations_by_type": dict(sorted({**writer.rels, "DOCUMENTED_BY": writer.citations}.items())),
            "relation_lines": sum(writer.rels.values()),
            "citations": writer.citations,
            "not_public": writer.hidden,
            "forests": len(plan.trees),
            "levels": {str(k): v for k, v in sorted(inv.levels.items())},
        },
        "plan": {k: v for k, v in asdict(plan).items() if k not in ("trees", "quotas")}
        | {"optional": {k: q.target for k, q in plan.quotas.items()}},
        "probes": inv.probes(),
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    log(f"generated {plan.nodes:,} nodes and {plan.relations:,} relations in {manifest['seconds']} s: {folder}")
    return manifest


def load_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data if data.get("generator_version") == GENERATOR_VERSION else None


def cached(plan: Plan, root: Path = DATA_DIR, *, log: Callable[[str], None] = lambda s: None
           ) -> tuple[Path, dict[str, Any], bool]:
    """The inventory for ``plan`` under ``root``, generated unless already there: (folder, manifest, reused)."""
    folder = root / plan.key(GENERATOR_VERSION)
    manifest = load_manifest(folder)
    if manifest is not None:
        log(f"reusing the generated inventory in {folder}")
        return folder, manifest, True
    return folder, generate(plan, folder, log=log), False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_size_options(parser)
    parser.add_argument("--out", type=Path, help=f"folder to write [default {DATA_DIR}/<seed, size>]")
    args = parser.parse_args(argv)
    _, nodes, relations = size_from(args, parser)
    try:
        plan = make_plan(nodes, relations, args.seed)
    except PlanError as exc:
        parser.error(str(exc))
    folder = args.out or DATA_DIR / plan.key(GENERATOR_VERSION)
    manifest = generate(plan, folder, log=print)
    print(json.dumps(manifest["counts"], indent=1))


if __name__ == "__main__":
    main()
