#!/usr/bin/env python3
"""Writes the demo prompt sets (Gyrus schema) for the demo model's vocabulary: plain English
words common in the Brown corpus and the nlp-corpus sentences it was trained on.

    /usr/bin/python3 datasets/prompt-sets/demo/make_demo_sets.py

One set per factor design: a one-factor minimal-pair set (valence), a 2x2 set
(tense x grammatical number), and minimal pairs for activation patching (agreement). Every item has a target regex on the word that carries the
manipulation, so token windows can be anchored on it."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# (sentence with {}, positive word, negative word)
VALENCE = [
    ("The weather today is {}.", "beautiful", "terrible"),
    ("She said the dinner was {}.", "wonderful", "awful"),
    ("The new teacher seemed very {}.", "kind", "cruel"),
    ("He thought the movie was {}.", "excellent", "boring"),
    ("Everyone agreed the plan was {}.", "good", "bad"),
    ("The children were {} all morning.", "happy", "sad"),
    ("The hotel room was clean and {}.", "pleasant", "unpleasant"),
    ("The news from home was {}.", "wonderful", "terrible"),
    ("Her voice sounded {} on the phone.", "cheerful", "angry"),
    ("The trip to the coast was {}.", "delightful", "miserable"),
    ("The old man was a {} neighbor.", "friendly", "hostile"),
    ("The game ended in a {} way for the team.", "great", "painful"),
    ("His answer to the question was {}.", "brilliant", "stupid"),
    ("The garden looked {} in the spring.", "lovely", "ugly"),
    ("They had a {} time at the party.", "fine", "poor"),
    ("The doctor gave us {} news.", "good", "bad"),
    ("It was a {} day for the whole town.", "happy", "tragic"),
    ("The food at the market was {}.", "fresh", "rotten"),
    ("My sister felt {} after the meeting.", "proud", "ashamed"),
    ("The report described a {} result.", "successful", "disastrous"),
]

# (singular noun, plural noun, present singular, present plural, past, rest of sentence)
TENSE_NUMBER = [
    ("dog", "dogs", "runs", "run", "ran", "across the field."),
    ("child", "children", "plays", "play", "played", "in the yard."),
    ("man", "men", "walks", "walk", "walked", "to the station."),
    ("woman", "women", "writes", "write", "wrote", "a long letter."),
    ("student", "students", "studies", "study", "studied", "the map."),
    ("bird", "birds", "sings", "sing", "sang", "in the morning."),
    ("farmer", "farmers", "works", "work", "worked", "in the fields."),
    ("soldier", "soldiers", "marches", "march", "marched", "down the road."),
    ("boy", "boys", "eats", "eat", "ate", "an apple."),
    ("girl", "girls", "sees", "see", "saw", "the ocean."),
    ("teacher", "teachers", "speaks", "speak", "spoke", "to the class."),
    ("worker", "workers", "builds", "build", "built", "a new house."),
    ("driver", "drivers", "stops", "stop", "stopped", "at the corner."),
    ("player", "players", "wins", "win", "won", "the game."),
    ("officer", "officers", "asks", "ask", "asked", "a question."),
    ("friend", "friends", "calls", "call", "called", "every week."),
]

# Subject nouns whose singular and plural are one token each for the demo tokenizer, and frames
# that end right after the subject, where the demo model predicts an agreeing verb (" was" vs
# " were"): the partner's next token depends on the one word the pair differs in.
AGREEMENT_NOUNS = [
    ("man", "men"), ("woman", "women"), ("girl", "girls"), ("soldier", "soldiers"),
    ("farmer", "farmers"), ("student", "students"), ("officer", "officers"), ("player", "players"),
]
AGREEMENT_FRAMES = ["When the {}", "Then the {}"]


def write(name, document):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
    print(path, len(document["items"]), "items")


def valence_set():
    items = []
    for i, (template, positive, negative) in enumerate(VALENCE):
        for level, word, partner in (("positive", positive, "negative"), ("negative", negative, "positive")):
            items.append({
                "id": f"{level}_{i:02d}",
                "text": template.format(word),
                "levels": {"valence": level},
                "pair": f"{partner}_{i:02d}",
                "target": {"regex": rf"\b{word}\b"},
            })
    # Conditions in blocks, pairs index-matched, as the seed's files are laid out.
    items.sort(key=lambda item: (item["levels"]["valence"] != "positive", item["id"]))
    return {
        "schema": "gyrus.promptset/1",
        "name": "demo-valence",
        "description": "Minimal pairs that differ in one evaluative word (positive vs negative), "
                       "written for the demo model's vocabulary. The target is the evaluative word.",
        "factors": [{"name": "valence", "levels": ["positive", "negative"]}],
        "items": items,
    }


def tense_number_set():
    items = []
    for i, (singular, plural, present_sg, present_pl, past, rest) in enumerate(TENSE_NUMBER):
        for tense in ("present", "past"):
            for number in ("singular", "plural"):
                noun = singular if number == "singular" else plural
                verb = past if tense == "past" else (present_sg if number == "singular" else present_pl)
                items.append({
                    "id": f"{tense}_{number}_{i:02d}",
                    "text": f"The {noun} {verb} {rest}",
                    "levels": {"tense": tense, "number": number},
                    "target": {"regex": rf"\b{verb}\b"},
                })
    items.sort(key=lambda item: (item["levels"]["tense"] != "present",
                                 item["levels"]["number"] != "singular", item["id"]))
    return {
        "schema": "gyrus.promptset/1",
        "name": "demo-tense-number",
        "description": "A 2x2 design: tense (present, past) x grammatical number of the subject "
                       "(singular, plural), the same 16 frames in every cell. The target is the verb.",
        "factors": [{"name": "tense", "levels": ["present", "past"]},
                    {"name": "number", "levels": ["singular", "plural"]}],
        "items": items,
    }


def agreement_set():
    items = []
    for f, frame in enumerate(AGREEMENT_FRAMES):
        for n, (singular, plural) in enumerate(AGREEMENT_NOUNS):
            i = f * len(AGREEMENT_NOUNS) + n
            for number, noun, partner in (("singular", singular, "plural"), ("plural", plural, "singular")):
                items.append({
                    "id": f"{number}_{i:02d}",
                    "text": frame.format(noun),
                    "levels": {"number": number},
                    "pair": f"{partner}_{i:02d}",
                    "target": {"regex": rf"\b{noun}\b"},
                })
    items.sort(key=lambda item: (item["levels"]["number"] != "singular", item["id"]))
    return {
        "schema": "gyrus.promptset/1",
        "name": "demo-agreement",
        "description": "Minimal pairs for activation patching: the same frame with a singular or "
                       "a plural subject, ending where the verb would come, so the next token "
                       "agrees with the subject. The target is the noun.",
        "factors": [{"name": "number", "levels": ["singular", "plural"]}],
        "items": items,
    }


if __name__ == "__main__":
    write("demo-valence.json", valence_set())
    write("demo-tense-number.json", tense_number_set())
    write("demo-agreement.json", agreement_set())
