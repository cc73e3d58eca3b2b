"""Statements and queries for bench/xapi.sh (standard library only).

Writes into OUT_DIR:
  pool.jsonl     POOL statements, one JSON object a line, without an id
                 (bench/xapi.sh's wrk script gives each statement it sends
                 a fresh random UUID);
  agent10.txt, agent.txt, activity10.txt
                 query strings of GET statements (after ".../statements"),
                 QUERIES of each, in random order: agent= random learners
                 with limit=10 and with the server's default limit,
                 activity= random capsules with limit=10.

The statements are what a learner's player sends while watching a capsule:
an account agent on https://cartable.example (LEARNERS learners, login
learner-NNNNN, varied names), ADL's experienced / progressed / completed,
the capsule as an activity with a definition, a result with the video
profile's time extension, and a context with a registration (one per
learner and programme), the programme as parent activity, platform and
language. Every learner follows two programmes and appears POOL / LEARNERS
times in the pool; capsules are drawn in the learner's programmes.

Usage: python3 xapi-gen.py OUT_DIR POOL LEARNERS CAPSULES PER_PROGRAMME QUERIES
"""

import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

HOME = "https://cartable.example"
VERBS = [
    ("http://adlnet.gov/expapi/verbs/experienced", "experienced", 50),
    ("http://adlnet.gov/expapi/verbs/progressed", "progressed", 30),
    ("http://adlnet.gov/expapi/verbs/completed", "completed", 20),
]
TIME_EXT = "https://w3id.org/xapi/video/extensions/time"
PROGRESS_EXT = "https://w3id.org/xapi/cmi5/result/extensions/progress"
FIRST = (
    "Salma Youssef Aya Mehdi Imane Omar Fatima-Zahra Hamza Khadija Ayoub Nour Adam "
    "Lina Rayan Meryem Ilyas Sara Anas Hiba Zakaria Chaimae Yassine Oumaima Othmane "
    "Rim Ismail Malak Soufiane Douae Bilal Kawtar Achraf Jade Léa Chloé Hugo Inès "
    "Amine Zineb Tariq Siham Karim Nadia Ghita Reda Asmae Nabil Loubna Hajar Idriss"
).split()
LAST = [
    "Benali", "El Idrissi", "Alaoui", "Bennani", "Tazi", "Chraibi", "Lahlou",
    "Fassi", "Berrada", "Amrani", "Ouazzani", "Benjelloun", "Sqalli", "Kettani",
    "Ziani", "Haddad", "Naciri", "Bouzid", "Tahiri", "Belkadi", "Cherkaoui",
    "Mansouri", "Rachidi", "Zerouali", "Dubois", "Martin", "Lefèvre", "Moreau",
    "Aït Ouali", "N'Diaye", "Oukacha", "Boutaleb", "Skalli", "Jabri", "Hakimi",
]
TOPICS = [
    ("les fractions", "fractions", "الكسور"),
    ("le cycle de l'eau", "the water cycle", "دورة الماء"),
    ("les angles", "angles", "الزوايا"),
    ("la photosynthèse", "photosynthesis", "التركيب الضوئي"),
    ("le passé composé", "the past tense", "الماضي"),
    ("les nombres décimaux", "decimal numbers", "الأعداد العشرية"),
    ("la carte du Maroc", "the map of Morocco", "خريطة المغرب"),
    ("les circuits électriques", "electric circuits", "الدارات الكهربائية"),
    ("la proportionnalité", "proportionality", "التناسبية"),
    ("le système solaire", "the solar system", "النظام الشمسي"),
    ("les verbes pronominaux", "reflexive verbs", "الأفعال"),
    ("les triangles", "triangles", "المثلثات"),
]
SUBJECTS = ["Mathématiques", "Sciences", "Français", "Arabe", "Histoire-géographie", "Physique"]


def main():
    out, pool_size, learners, capsules, per_programme, queries = sys.argv[1:7]
    pool_size, learners, capsules = int(pool_size), int(learners), int(capsules)
    per_programme, queries = int(per_programme), int(queries)
    rng = random.Random(20261129)
    programmes = (capsules + per_programme - 1) // per_programme

    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(learners)]

    def capsule_activity(c):
        topic = TOPICS[c % len(TOPICS)]
        lesson = c % per_programme + 1
        return {
            "objectType": "Activity",
            "id": f"{HOME}/capsules/c{c + 1:04d}",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/lesson",
                "name": {
                    "fr": f"Leçon {lesson} : {topic[0]}",
                    "en": f"Lesson {lesson}: {topic[1]}",
                    "ar": f"الدرس {lesson}: {topic[2]}",
                },
                "description": {
                    "fr": f"Une courte leçon filmée sur {topic[0]}, avec un exemple et un résumé.",
                },
            },
        }

    def programme_activity(p):
        subject = SUBJECTS[p % len(SUBJECTS)]
        return {
            "objectType": "Activity",
            "id": f"{HOME}/programmes/p{p + 1:02d}",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/course",
                "name": {"fr": f"{subject}, programme {p + 1}", "en": f"{subject}, programme {p + 1}"},
            },
        }

    caps = [capsule_activity(c) for c in range(capsules)]
    progs = [programme_activity(p) for p in range(programmes)]
    verbs, weights = [(v[0], v[1]) for v in VERBS], [v[2] for v in VERBS]
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    order = list(range(learners))
    rng.shuffle(order)
    seen_capsules = set()
    with open(f"{out}/pool.jsonl", "w", encoding="utf-8") as f:
        for i in range(pool_size):
            learner = order[i % learners]
            mine = [learner % programmes, (learner * 7 + 3) % programmes]
            p = mine[i // learners % 2]
            first = p * per_programme
            last = min(capsules, first + per_programme) - 1
            c = rng.randint(first, last)
            seen_capsules.add(c)
            verb_id, verb_name = rng.choices(verbs, weights)[0]
            length = rng.randint(90, 600)
            position = round(rng.uniform(0, length), 1)
            result = {"extensions": {TIME_EXT: position}}
            if verb_name == "progressed":
                result["extensions"][PROGRESS_EXT] = rng.randint(1, 99)
            elif verb_name == "completed":
                result = {
                    "completion": True,
                    "duration": f"PT{length // 60}M{length % 60}S",
                    "extensions": {TIME_EXT: float(length)},
                }
            when = start + timedelta(seconds=rng.randint(0, 90 * 86400), milliseconds=rng.randint(0, 999))
            statement = {
                "actor": {
                    "objectType": "Agent",
                    "name": names[learner],
                    "account": {"homePage": HOME, "name": f"learner-{learner + 1:05d}"},
                },
                "verb": {"id": verb_id, "display": {"en-US": verb_name}},
                "object": caps[c],
                "result": result,
                "context": {
                    "registration": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{HOME}/registrations/{learner}/{p}")),
                    "contextActivities": {"parent": [progs[p]]},
                    "platform": "cartable",
                    "language": rng.choice(["fr", "ar", "fr", "en"]),
                },
                "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            }
            line = json.dumps(statement, ensure_ascii=False, separators=(",", ":"))
            assert line.startswith("{") and "\n" not in line
            f.write(line + "\n")

    def agent(learner):
        a = {"objectType": "Agent", "account": {"homePage": HOME, "name": f"learner-{learner + 1:05d}"}}
        return quote(json.dumps(a, separators=(",", ":")), safe="")

    present = sorted(seen_capsules)
    with open(f"{out}/agent10.txt", "w") as a10, open(f"{out}/agent.txt", "w") as a, open(
        f"{out}/activity10.txt", "w"
    ) as t10:
        for _ in range(queries):
            a10.write(f"?agent={agent(rng.randrange(learners))}&limit=10\n")
            a.write(f"?agent={agent(rng.randrange(learners))}\n")
            t10.write(f"?activity={quote(caps[rng.choice(present)]['id'], safe='')}&limit=10\n")


if __name__ == "__main__":
    main()
