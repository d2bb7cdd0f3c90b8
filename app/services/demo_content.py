"""What the demo site says: its people, posts and conversations (app.services.demo writes it).

Posts use the Markdown people write (code, lists, tables, quotes, task lists, bare links), so a
first look at the demo shows what a post can be.
"""

# (username, role, bio). Emails are username@example.com, a domain reserved for examples.
PEOPLE = [
    ("maya", "user", "Reads before breakfast, writes after. Collects small habits that stick."),
    ("tomas", "user", "Community gardener. Keeper of the good trowel."),
    ("priya", "user", "Backend developer. Asks why before how. Tea, never coffee."),
    ("olu", "user", "Weekend baker chasing the perfect rye. Shares every failure too."),
    ("jun", "user", "Hikes, maps and cafés at trailheads. New to the lakes."),
    ("lena", "user", "Electronics with my daughter: jam jars, sensors and questions."),
    ("sam", "user", "Here for the conversations. Mostly a reader, sometimes a writer."),
    ("noor", "moderator", "I help keep Agora friendly. Disagree with ideas, not with people."),
    ("ines", "user", "Cyclist and commuter. Fixes punctures faster than she finds keys."),
    ("ravi", "user", "Teaches maths to teenagers and statistics to anyone who will listen."),
    ("elsa", "user", "Knits on trains. Slowly learning Finnish, one word a day."),
    ("kofi", "user", "Amateur astronomer with a very patient neighbour."),
]

# (author, title, content, hours ago, votes, published), oldest first. Votes come from the
# other people in PEOPLE order; nobody votes for their own post.
POSTS = [
    (
        "jun",
        "Looking for a beginner-friendly hike near the lakes",
        "My cousin visits in two weeks and has never hiked. What I am looking for:\n\n"
        "- under **10 km**\n- a view at the end\n- ideally a café at the start\n\n"
        "Suggestions very welcome!",
        140,
        4,
        True,
    ),
    (
        "olu",
        "Sunday bread report: the rye worked",
        "Third attempt at a 100% rye. The secret was *less* water than the recipe says and a "
        "much longer, cooler proof.\n\n| Attempt | Water | Proof | Result |\n|---|--:|--:|---|\n"
        "| 1 | 85% | 3 h | brick |\n| 2 | 80% | 5 h | dense |\n| 3 | 75% | 14 h, cool | **yes** |"
        "\n\nDense in the good way, great with butter and a little salt.",
        132,
        7,
        True,
    ),
    (
        "priya",
        "Name your branches after the question, not the answer",
        "Instead of `fix-login-timeout`, try `why-does-login-time-out`.\n\n"
        "> A branch name is a promise about what you are trying to learn.\n\n"
        "It keeps you honest while you investigate, and reviewers see what you were after.",
        128,
        10,
        True,
    ),
    (
        "lena",
        "We built a tiny weather station with my daughter",
        "A temperature sensor, a cheap board and an old jam jar. The whole program:\n\n"
        "```python\nimport time\n\nwhile True:\n    print(sensor.read_celsius())\n"
        "    time.sleep(600)\n```\n\n"
        "She now reads the numbers out loud every morning at breakfast, and is furious when it "
        "is colder than yesterday.",
        120,
        9,
        True,
    ),
    (
        "ines",
        "Five things in my saddle bag",
        "After one too many long walks home:\n\n1. Two tyre levers\n2. A spare inner tube\n"
        "3. A mini pump\n4. A multitool with a chain breaker\n5. A five-pound note, for cake",
        112,
        5,
        True,
    ),
    (
        "ravi",
        "Averages lie, medians mumble",
        "Ten people in a café earn a modest wage. A billionaire walks in. The *mean* income "
        "just went through the roof; the *median* barely moved.\n\n"
        "Neither is wrong. Each answers a different question, so say which one you mean.",
        104,
        8,
        True,
    ),
    (
        "elsa",
        "A Finnish word a day: week one",
        "| Day | Word | Meaning |\n|---|---|---|\n| Mon | *sisu* | grit, stubborn courage |\n"
        "| Tue | *kalsarikännit* | a quiet evening at home |\n| Wed | *jokamiehenoikeus* | "
        "everyone's right to roam |\n| Thu | *löyly* | the steam in a sauna |\n\n"
        "Friday I gave up and learned *kiitos* (thank you) properly instead.",
        98,
        6,
        True,
    ),
    (
        "kofi",
        "Saturn through a borrowed telescope",
        "Clear skies last night and my neighbour lent me his 130 mm reflector. The rings were "
        "~~a smudge~~ **sharp** once the mirror cooled down.\n\n"
        "Tip: leave the telescope outside for half an hour before you look.",
        92,
        9,
        True,
    ),
    (
        "tomas",
        "Our community garden finally has a tool library",
        "After two years of talking about it, the shed is up. Twenty-three tools, a clipboard, "
        "and a very strict rule about returning the good trowel.\n\n"
        "Open on Saturday mornings from nine. Bring a neighbour, take a rake, and stay for "
        "coffee if you like: someone always brings a flask.\n\n"
        "- [x] build the shed\n- [x] paint the door\n- [ ] a sign-out sheet\n\n"
        "Thank you to everyone who donated, built, painted and argued about the colour of the "
        "door. (It is green. It was always going to be green.)",
        86,
        11,
        True,
    ),
    (
        "maya",
        "What small habit made your week better?",
        "Mine: leaving my phone in the other room for the first hour of the morning. I read "
        "twelve pages of a novel before breakfast and felt smug about it all day. Yours?",
        80,
        6,
        True,
    ),
    (
        "noor",
        "Welcome, and a word on kindness",
        "Hello and welcome! A few things that keep this place good:\n\n"
        "- Disagree with ideas, not with people.\n- Assume the other person means well.\n"
        "- If a post breaks the rules, a moderator may hide it and will say why.\n\n"
        "> Be the person you would want to meet in the comments.",
        76,
        10,
        True,
    ),
    (
        "priya",
        "Small pull requests, explained with a table",
        "| Lines changed | Review time | Bugs found |\n|--:|--:|--:|\n| 50 | 10 min | many |\n"
        '| 500 | 1 h | some |\n| 5,000 | "looks good to me" | none (they are all still there) |'
        "\n\nKeep them small. Your reviewers are people.",
        70,
        11,
        True,
    ),
    (
        "olu",
        "Starter maintenance for busy people",
        "You do not need to feed a sourdough starter every day:\n\n"
        "1. Keep it in the fridge.\n2. Feed it once a week: equal weights of flour and water.\n"
        "3. Take it out the night before you bake.\n\nThat is the whole system.",
        64,
        5,
        True,
    ),
    (
        "jun",
        "Report: the lake loop was perfect",
        "Thanks for all the suggestions! We did the 8 km loop from the north car park. The café "
        "opens at eight, the view at the top is worth every step, and my cousin wants to go "
        "again next month.\n\nThe route I followed is at https://example.org/lake-loop if "
        "anyone wants it.",
        58,
        7,
        True,
    ),
    (
        "lena",
        "Why is the sky dark at night? (asked at bedtime)",
        "My daughter asked, and I realised I did not know the real answer. It is not just "
        '"the sun went down": if the universe were infinite, old and unchanging, every line of '
        "sight would end on a star. It is called **Olbers' paradox**.\n\n"
        "We are still working on the explanation she will accept.",
        52,
        8,
        True,
    ),
    (
        "ravi",
        "A one-line way to check your rounding",
        "When a table of percentages does not add up to 100, it is usually rounding, not a "
        "mistake:\n\n```python\n>>> sum(round(x) for x in [33.3, 33.3, 33.4])\n99\n```\n\n"
        "Say so in a footnote and move on.",
        46,
        4,
        True,
    ),
    (
        "ines",
        "Winter commuting: what actually helped",
        "- **Mudguards.** Full length, not the clip-on kind.\n- **Lights** that charge by USB.\n"
        "- **Overshoes**, which I laughed at until I tried them.\n\n"
        "What did not help: the expensive waterproof gloves. Two pairs of cheap ones work "
        "better.",
        40,
        6,
        True,
    ),
    (
        "elsa",
        "Knitting pattern maths",
        "A pattern says 22 stitches per 10 cm and I knit 20. For a 96 cm jumper:\n\n"
        "| | Pattern | Me |\n|---|--:|--:|\n| Stitches per cm | 2.2 | 2.0 |\n"
        "| Stitches to cast on | 211 | 192 |\n\nSwatch first. Always swatch first.",
        34,
        5,
        True,
    ),
    (
        "kofi",
        "The Moon is not the same size every month",
        "Its orbit is an ellipse, so it is about 14% wider at its closest than at its farthest. "
        "You would never notice by eye, but photographs taken with the same lens show it "
        "clearly.",
        28,
        7,
        True,
    ),
    (
        "sam",
        "First post after a year of reading",
        "I have been reading here for a year without writing anything. Today I finally fixed "
        "the squeaky door in our hallway, and it felt like something worth telling someone.\n\n"
        "*(It was the top hinge. It is always the top hinge.)*",
        24,
        9,
        True,
    ),
    (
        "maya",
        "Books I finished this month",
        "- [x] *The Left Hand of Darkness*\n- [x] *A Psalm for the Wild-Built*\n"
        "- [ ] *Middlemarch* (page 412 of 880, no regrets)\n\nWhat should I read next?",
        20,
        6,
        True,
    ),
    (
        "tomas",
        "Slugs: a truce",
        "I have tried beer traps, copper tape and going out with a torch at midnight. This "
        "year I planted extra lettuce at the edge of the bed for them, and they mostly leave "
        "the rest alone.\n\n> You cannot win against slugs. You can negotiate.",
        16,
        8,
        True,
    ),
    (
        "priya",
        "The most useful shell alias I have",
        "```sh\nalias recent='git for-each-ref --sort=-committerdate refs/heads "
        '--format="%(refname:short)" | head\'\n```\n\n'
        "It lists the branches I touched last, which is usually what I am looking for.",
        12,
        7,
        True,
    ),
    (
        "noor",
        "How moderation works here",
        "When a moderator hides a post:\n\n1. It leaves every feed and search.\n"
        "2. Its author still sees it, with the reason.\n3. They can edit it, and a moderator "
        "can restore it.\n\nNothing is hidden without a reason the author can read.",
        9,
        9,
        True,
    ),
    (
        "ravi",
        "Puzzle: the birthday paradox",
        "How many people need to be in a room for a better-than-even chance that two share a "
        "birthday?\n\nAnswer below the line.\n\n---\n\n**23.** It feels wrong, which is the "
        "whole point.",
        6,
        10,
        True,
    ),
    (
        "olu",
        "Focaccia for people who are scared of bread",
        "No kneading, no special tools:\n\n1. 500 g flour, 400 g water, 10 g salt, 5 g yeast.\n"
        "2. Stir, cover, fridge overnight.\n3. Tip into an oiled tin, dimple with your fingers, "
        "bake at 230 °C for 25 minutes.\n\nYou will look like a genius.",
        3,
        8,
        True,
    ),
    (
        "kofi",
        "Meteor shower this weekend",
        "The Geminids peak on Saturday night. Best after midnight, away from street lights, "
        "looking anywhere: no telescope needed. Bring a blanket and patience.",
        1,
        4,
        True,
    ),
    (
        "jun",
        "Notes for next summer's trip",
        "Half-finished: not ready to share yet.",
        2,
        0,
        False,
    ),
]
FEATURED = "Our community garden finally has a tool library"

# A conversation under the featured post: (author, text, index of the comment it answers).
THREAD = [
    (
        "tomas",
        "This is great. Could we add a **sign-out sheet**, so we know who has the ladder?",
        None,
    ),
    ("maya", "Yes! I will print one this week and hang it by the shed door.", 0),
    ("priya", "A shared spreadsheet might be easier to keep up to date.", 1),
    ("maya", "True, but not everyone has a phone with them in the garden.", 2),
    ("olu", "I can donate a second wheelbarrow if there is room for it.", None),
    ("jun", "There is, next to the compost bins.", 4),
]
# A comment or two elsewhere: (post title, author, text).
COMMENTS = [
    ("Sunday bread report: the rye worked", "elsa", "Row three is my new life goal."),
    ("Sunday bread report: the rye worked", "olu", "Go for it. Cool proof is the whole trick."),
    ("Averages lie, medians mumble", "priya", "Stealing this for every dashboard review."),
    ("Saturn through a borrowed telescope", "lena", "We have to try this with the jam-jar kid."),
    ("First post after a year of reading", "noor", "Welcome to the writing side, Sam!"),
    ("First post after a year of reading", "tomas", "It is always the top hinge. Always."),
    ("Puzzle: the birthday paradox", "sam", "I refuse to believe this and I checked it twice."),
]
# Who follows whom: each person follows the next few in PEOPLE order.
FOLLOWS_EACH = 4

# The tags each post carries (by title), so the demo's tag pages, /tags and the side column have
# something to show: a few tags many posts share, and some only one has.
TAGS = {
    "Looking for a beginner-friendly hike near the lakes": "hiking outdoors",
    "Sunday bread report: the rye worked": "baking",
    "Name your branches after the question, not the answer": "programming git",
    "We built a tiny weather station with my daughter": "electronics kids",
    "Five things in my saddle bag": "cycling",
    "Averages lie, medians mumble": "maths statistics",
    "A Finnish word a day: week one": "languages",
    "Saturn through a borrowed telescope": "astronomy",
    "Our community garden finally has a tool library": "gardening community",
    "What small habit made your week better?": "habits",
    "Welcome, and a word on kindness": "community meta",
    "Small pull requests, explained with a table": "programming",
    "Starter maintenance for busy people": "baking",
    "Report: the lake loop was perfect": "hiking outdoors",
    "Why is the sky dark at night? (asked at bedtime)": "astronomy kids",
    "A one-line way to check your rounding": "maths programming",
    "Winter commuting: what actually helped": "cycling outdoors",
    "Knitting pattern maths": "knitting maths",
    "The Moon is not the same size every month": "astronomy",
    "Books I finished this month": "books",
    "Slugs: a truce": "gardening",
    "The most useful shell alias I have": "programming",
    "How moderation works here": "meta",
    "Puzzle: the birthday paradox": "maths",
    "Focaccia for people who are scared of bread": "baking",
    "Meteor shower this weekend": "astronomy outdoors",
    "Notes for next summer's trip": "hiking",
}
