"""One Danish: the same word for the same thing in the catalogue, the checklists and the starter templates.

The terms come from the Danish review of the product (shared/domain/REVIEW.md §4); the clause titles from the
Dansk Standard ISO 45003 deck (shared/domain, the seed). A test here fails when a false friend, an anglicism or a
second word for one idea comes back, or when a factor or a clause is named one way in one place and another way
in another.
"""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.pofile import read_po
from docx import Document

from auditor import vocabulary as v
from auditor.i18n import translate
from auditor.paths import TRANSLATIONS_DIR
from auditor.reports.starters import starter_template
from auditor.services.reviews import CLAUSE_TITLES

# Danish that must not appear anywhere a user reads: the pattern, and what to write instead.
FORBIDDEN = {
    r"afvigelser? fra auditplanen": "afvigelse is a nonconformity in the same report: 'Ændringer i forhold til auditplanen'",
    r"tilsyn og opfølgning": "tilsyn is Arbejdstilsynet's inspection: 'Faglig vejledning og opfølgning'",
    r"konference": "an anglicism: 'Auditteamets interne møde'",
    r"\bengagement": "an anglicism for commitment: 'forpligtelse'",
    r"\bskemaer\b": "working hours are planned in 'vagtplaner'",
    r"vidnesbyrd": "one word for evidence: '(audit)bevis'",
    r"typiske beviser": "'Typisk dokumentation'",
    r"kvalitetschef": "the role is wider than quality: 'Kvalitets-/arbejdsmiljøansvarlig'",
    r"særlig audit": "'Ekstraordinær audit'",
    r"evaluering af præstation": "the DS title: 'Præstationsevaluering'",
    r"medarbejderdeltagelse": "the DS title: 'Lederskab og inddragelse af arbejdstagere'",
    r"høring og (deltagelse|inddragelse) af medarbejdere": "the DS title: 'Konsultation og inddragelse af arbejdstagere'",
    r"mindste antal besvarelser": "'en nedre grænse for antal besvarelser'",
    r"\bgenereret\b": "'Dannet'",
    r"auditplan som gennemført": "'Gennemført auditplan'",
    # #46: a major nonconformity needs its correction verified, a minor one an accepted plan; one "approved" for both
    # blurs the two.
    r"korrigerende handlinger for afvigelserne er godkendt": "say which: minor NCs' plans accepted, major NCs verified",
}

# The catalogue's Danish for the terms the review settled.
REQUIRED = {
    "OFI": "Forb.mul.",  # not "Forbedring": that is an improvement, and clause 10's title
    "Deviations from the audit plan": "Ændringer i forhold til auditplanen",
    "Audit team conference": "Auditteamets interne møde",
    "Special audit": "Ekstraordinær audit",
    "Supervision": "Faglig vejledning og opfølgning",
    "Working hours and schedule": "Arbejdstid og vagtplaner",
    "Interpersonal relationships": "Relationer og samarbejde",
    "Bullying and victimization": "Mobning og udstødelse",
    "Tools and resources": "Redskaber og ressourcer",
    "Typical evidence": "Typisk dokumentation",
    "Verification of effectiveness": "Verifikation af effekt",
    "Quality manager": "Kvalitets-/arbejdsmiljøansvarlig",
    "Generated": "Dannet",
    "Audit plan as carried out": "Gennemført auditplan",
    "Recommended once the plans for the minor nonconformities are accepted": (
        "Indstillet, når handlingsplanerne for de mindre afvigelser er accepteret"
    ),
    "Recommended once the correction and corrective action of the major nonconformities are verified": (
        "Indstillet, når korrektionen og de korrigerende handlinger for de større afvigelser er verificeret"
    ),
    "Suspension of the certificate recommended": "Indstillet til suspension af certifikatet",
    "Withdrawal of the certificate recommended": "Indstillet til tilbagetrækning af certifikatet",
    "Recommended with a change of scope": "Indstillet med ændret omfang",
}

# ISO 45003's clause titles as the Dansk Standard deck gives them (the checklist's own titles where it gives none).
SEED_TITLES = {
    "4": "Organisationens rammer og vilkår",
    "4.1": "Forståelse af organisationen og dens rammer og vilkår",
    "4.1.1": "Generelt",
    "4.1.2": "Eksterne forhold",
    "4.1.3": "Interne forhold",
    "4.2": "Forståelse af arbejdstagernes og andre interessenters behov og forventninger",
    "5": "Lederskab og inddragelse af arbejdstagere",
    "5.1": "Lederskab og forpligtelse",
    "5.2": "Arbejdsmiljøpolitik",
    "5.3": "Roller, ansvar og beføjelser i organisationen",
    "5.4": "Konsultation og inddragelse af arbejdstagere",
    "6": "Planlægning",
    "6.1": "Handlinger til adressering af risici og muligheder",
    "6.1.1": "Generelt",
    "6.1.2": "Identificering af farer og vurdering af risici og muligheder",
    "6.2": "Mål for adressering af psykosocial risiko",
    "7.1": "Ressourcer",
    "7.2": "Kompetencer",
    "7.3": "Bevidsthed",
    "7.4": "Kommunikation",
    "7.5": "Dokumenteret information",
    "8": "Drift",
    "8.1": "Driftsplanlægning og -styring",
    "8.1.1": "Generelt",
    "8.1.2": "Eliminering af farer, reduktion af arbejdsmiljørisici og fremme af trivsel i arbejdet",
    "8.1.3": "Styring af ændringer",
    "8.1.4": "Indkøb, kontraktindgåelse og outsourcing",
    "8.2": "Nødberedskab og afværgeforanstaltninger",
    "8.3": "Rehabilitering og tilbagevenden til arbejde",
    "9": "Præstationsevaluering",
    "9.1": "Overvågning, måling, analyse og præstationsevaluering",
    "9.2": "Intern audit",
    "9.3": "Ledelsens evaluering",
    "10": "Forbedring",
}


def _catalogue() -> list[str]:
    with (TRANSLATIONS_DIR / "da" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return [text for m in read_po(fp) if m.id for text in ((m.string,) if isinstance(m.string, str) else m.string)]


def _danish(value) -> list[str]:
    """Every Danish text in a checklist's content: the `da` of each {da, en} pair."""
    if isinstance(value, dict):
        return ([value["da"]] if set(value) == {"da", "en"} else []) + [
            t for child in value.values() for t in _danish(child)
        ]
    if isinstance(value, list):
        return [t for child in value for t in _danish(child)]
    return []


def _starter_text(kind: str) -> str:
    document = Document(io.BytesIO(starter_template(kind, v.Language.DA)))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _sources(library) -> dict[str, list[str]]:
    sources = {"the catalogue": _catalogue()}
    sources.update({f"checklist {c.id}": _danish(c.content()) for c in library})
    sources.update({f"starter template {kind}": [_starter_text(kind)] for kind in v.REPORT_KINDS.values})
    return sources


def test_no_forbidden_danish_in_the_catalogue_the_checklists_or_the_starter_templates(library):
    found = [
        f"{where}: {match.group()!r} ({advice})"
        for where, texts in _sources(library).items()
        for text in texts
        for pattern, advice in FORBIDDEN.items()
        for match in re.finditer(pattern, text, flags=re.IGNORECASE)
    ]
    assert found == []


@pytest.mark.parametrize("msgid", sorted(REQUIRED))
def test_the_settled_terms_have_their_danish(msgid):
    assert translate(msgid, v.Language.DA) == REQUIRED[msgid]


def test_the_iso_checklist_uses_the_dansk_standard_clause_titles(library):
    checklist = library.get("iso45003-clauses").checklist
    titles = {}

    def visit(section):
        titles[section.code] = section.title.da
        for child in section.sections:
            visit(child)

    for section in checklist.sections:
        visit(section)
    assert {code: titles.get(code) for code in SEED_TITLES} == SEED_TITLES


def test_each_factor_has_one_name_in_the_vocabulary_and_the_screening(library):
    """A hazard factor or a BEK 1406 factor is named as the screening's section on it is titled, in both languages."""
    screening = library.get("hazard-screening").checklist
    names = {}
    for table in screening.sections:
        for section in table.sections:
            items = list(section.items)
            for field, vocabulary in (("hazards", v.HAZARD_FACTORS), ("bek1406", v.BEK1406_FACTORS)):
                common = set.intersection(*(set(getattr(item.tags, field)) for item in items))
                if len(common) == 1 and (field == "bek1406") == (table.code == "BEK"):
                    value = common.pop()
                    names[value] = (
                        section.title.da,
                        section.title.en,
                        translate(vocabulary[value].label, v.Language.DA),
                    )
    assert set(names) == set(v.HAZARD_FACTORS.values) | set(v.BEK1406_FACTORS.values)
    assert {value: da for value, (da, _, _) in names.items()} == {
        value: label for value, (_, _, label) in names.items()
    }
    labels = {c.value: c.label for vocabulary in (v.HAZARD_FACTORS, v.BEK1406_FACTORS) for c in vocabulary}
    assert {value: en for value, (_, en, _) in names.items()} == labels


def test_the_management_review_names_the_clauses_as_the_iso_checklist_does(library):
    chapters = {section.code: section.title for section in library.get("iso45003-clauses").checklist.sections}
    assert {code: (translate(title, v.Language.DA), title) for code, title in CLAUSE_TITLES.items()} == {
        code: (chapters[code].da, chapters[code].en) for code in CLAUSE_TITLES
    }
