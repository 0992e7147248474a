import pytest

from dream.checkers import check
from dream.questions import derive


def qa(statements: list[str]) -> dict[str, dict]:
    """The rule-derived questions; their rewordings are tested in test_rewordings.py."""
    return {d.question: d.checker for d in derive(statements) if "reworded_from" not in d.extra}


def test_possessive_name_and_pronoun_age():
    got = qa(["My dog's name is Biscuit and she is 7."])
    assert got == {
        "What is my dog's name?": {"type": "contains_any", "values": ["Biscuit"]},
        "What is the name of my dog?": {"type": "contains_any", "values": ["Biscuit"]},
        "How old is Biscuit?": {"type": "number", "value": 7},
        "How old is my dog?": {"type": "number", "value": 7},
    }


def test_founded_in_by_with_appositive():
    got = qa(["Our company, Zentrix, was founded in 2011 by Mara Lind."])
    assert got["Who founded Zentrix?"] == {"type": "contains_any", "values": ["Mara Lind"]}
    assert got["When was Zentrix founded?"] == {"type": "number", "value": 2011}
    assert got["Who founded our company?"] == {"type": "contains_any", "values": ["Mara Lind"]}
    assert got["What is the name of our company?"] == {"type": "contains_any",
                                                       "values": ["Zentrix"]}


def test_moves_and_locations_drop_time_adverbs():
    got = qa(["Our office moved to 12 Harbor Street last month."])
    assert got["Where is our office now?"] == {
        "type": "contains_any", "values": ["12 Harbor Street", "Harbor Street"]}
    assert qa(["I live in Oslo."]) == {
        "Where do I live?": {"type": "contains_any", "values": ["Oslo"]}}
    assert qa(["My parents live in Rome, which I love."]) == {
        "Where do my parents live?": {"type": "contains_any", "values": ["Rome"]}}


@pytest.mark.parametrize(("statement", "question", "checker"), [
    ("I'm 34 years old.", "How old am I?", {"type": "number", "value": 34}),
    ("We have two kids.", "How many kids do we have?", {"type": "number", "value": 2}),
    ("My name is Sam.", "What is my name?", {"type": "contains_any", "values": ["Sam"]}),
    ("I have a cat named Pixel.", "What is my cat's name?",
     {"type": "contains_any", "values": ["Pixel"]}),
    ("I run a small candle shop called Wickwell.", "What is my small candle shop's name?",
     {"type": "contains_any", "values": ["Wickwell"]}),
    ("We adopted a cat named Juniper.", "What is our cat's name?",
     {"type": "contains_any", "values": ["Juniper"]}),
    # Trips: where, and when for a date that stays true.
    ("I'm going to Cusco in july with my sister.", "Where am I going?",
     {"type": "contains_any", "values": ["Cusco"]}),
    ("I'm going to Cusco in july with my sister.", "When am I going to Cusco?",
     {"type": "contains_any", "values": ["july"]}),
    ("I'm staying at a hostel in Graz next week.", "Where am I staying?",
     {"type": "contains_any", "values": ["Graz"]}),
    # A number then a comma and a clause without its subject: the number's own clause.
    ("I'm 35, had a birthday last week.", "How old am I?", {"type": "number", "value": 35}),
    # A date by its ordinal alone is a when, not a where; a floor is a where.
    ("Our trip to Lisbon is on the 9th.", "When is our trip to Lisbon?",
     {"type": "contains_any", "values": ["9th"]}),
    ("My office is on the 6th floor.", "Where is my office?",
     {"type": "contains_any", "values": ["6th floor"]}),
    ("The offsite is on 22 september at the lake house in Hallstatt.", "Where is the offsite?",
     {"type": "contains_any", "values": ["Hallstatt"]}),
    ("Mara is my sister.", "Who is my sister?", {"type": "contains_any", "values": ["Mara"]}),
    ("Mara is my sister.", "Who is Mara?", {"type": "contains_any", "values": ["sister"]}),
    ("My favorite color is blue.", "What is my favorite color?",
     {"type": "contains_any", "values": ["blue"]}),
    ("The wifi password is tulip42.", "What is the wifi password?",
     {"type": "contains_any", "values": ["tulip42"]}),
    ("I was born in 1990 in Lisbon.", "Where was I born?",
     {"type": "contains_any", "values": ["Lisbon"]}),
    ("I was born in 1990 in Lisbon.", "When was I born?", {"type": "number", "value": 1990}),
    ("I work as a nurse.", "What do I do for a living?",
     {"type": "contains_any", "values": ["nurse"]}),
    ("I'm allergic to peanuts.", "What am I allergic to?",
     {"type": "contains_any", "values": ["peanuts"]}),
    ("I don't like cilantro.", "What do I dislike?",
     {"type": "contains_any", "values": ["cilantro"]}),
    ("Our CEO is Priya Nair.", "Who is our CEO?",
     {"type": "contains_any", "values": ["Priya Nair"]}),
    ("The Eiffel Tower was built in 1889.", "When was the Eiffel Tower built?",
     {"type": "number", "value": 1889}),
    ("My birthday is on March 3rd.", "When is my birthday?",
     {"type": "all", "checks": [{"type": "contains_any", "values": ["March"]},
                                {"type": "number", "value": 3}]}),
    ("My grandmother grew up in Tallowmere, a village in the hills.",
     "Where did my grandmother grow up?", {"type": "contains_any", "values": ["Tallowmere"]}),
    ("My older brother studied in Prague.", "Where did my older brother study?",
     {"type": "contains_any", "values": ["Prague"]}),
    ("I was born in the town of Osterlay.", "Where was I born?",
     {"type": "contains_any", "values": ["Osterlay"]}),
    ("I drive a green Volvo that I call Old Fennick.", "What do I call my Volvo?",
     {"type": "contains_any", "values": ["Old Fennick"]}),
    ("We call our boat Sea Biscuit.", "What do we call our boat?",
     {"type": "contains_any", "values": ["Sea Biscuit"]}),
])
def test_general_patterns(statement, question, checker):
    assert qa([statement])[question] == checker


def test_pronoun_resolves_across_statements():
    got = qa(["Dr. Smith is my dentist.", "He works at St. Olav Hospital."])
    assert "Where does Dr. Smith work?" in got


def test_a_pronoun_can_refer_to_something_just_mentioned():
    got = qa(["I finally named my sailboat.", "She's called the Marigold Drift."])
    assert "What is the name of my sailboat?" in got


def test_it_is_never_a_person_and_a_weight_is_no_age():
    """"My sister runs a bakery, it's called Krummel" named the sister Krummel; "my dog is
    32 kg" asked the dog's age."""
    asked = qa(["My sister runs a bakery in ghent, it's called Krummel."])
    assert "What is my sister's bakery's name?" in asked
    assert "What is my sister's name?" not in asked
    weighed = qa(["My dog Fennick is 32 kg."])
    assert "How much does my dog Fennick weigh?" in weighed
    assert not any(q.startswith("How old") for q in weighed)


def test_she_after_a_denial_is_the_one_denied_it_not_what_she_is_not():
    asked = qa(["Elodie isn't my sister, she's my cousin."])
    assert "Who is my cousin?" in asked and "What is my sister?" not in asked


def test_what_someone_is_into_or_doing_is_not_what_they_are():
    assert qa(["My husband is really into birdwatching."]) == {
        "What is my husband into?": {"type": "contains_any", "values": ["birdwatching"]}}
    assert qa(["My brother-in-law Raul is coming."]).get("What is my brother-in-law Raul?") \
        is None
    assert "What is my favourite food?" in qa(["My favourite food is pudding."])
    assert qa(["The building was sold."]) == {}
    assert "What is her name's name?" not in qa(["I'm seeing someone new, her name is Dalia."])


def test_from_someone_is_no_place_and_from_a_place_asks_where_from():
    asked = qa(["Our team lead is Priyanka Raman, she took over from Dev in march."])
    assert not any(q.startswith("Where") for q in asked), asked
    assert "Where do I come from?" in qa(["I come from Porto."])


def test_a_rate_is_no_place():
    asked = qa(["My mortgage is at 4.3% fixed until 2027."])
    assert "Where is my mortgage?" not in asked and "What rate is my mortgage at?" in asked
    assert "Where is our rehearsal room?" in qa(["Our rehearsal room is at 9 Mill Road."])


def test_a_vehicle_is_named_without_where_it_goes():
    assert qa(["I drive a yaris to work."])["What car do I drive?"]["values"] == ["yaris"]


def test_a_subject_restated_by_a_pronoun_is_not_asked_as_a_thing():
    asked = qa(["Me and my wife we are having the restaurant in Izmir since 10 years."])
    assert not any("wife we" in q for q in asked), asked


def test_a_possessive_s_inside_the_role_is_no_verb():
    asked = qa(["My grandfather Anselm was a ship's carpenter in Gdansk."])
    assert not any("was a ship" in q for q in asked), asked
    assert asked["What is my grandfather's name?"]["values"] == ["Anselm"]


def test_a_trip_said_relative_to_today_asks_where_but_not_when():
    asked = qa(["We're flying to Osaka next week."])
    assert "Where are we going?" in asked and not any(q.startswith("When") for q in asked)
    assert qa(["I'm going to bake a cake."]) == {}


def test_unmatched_or_vague_statements_yield_nothing():
    for statement in ["My dog is friendly.", "It is raining.", "Please always answer briefly.",
                      "The password is 1234 and it expires soon because of policy."]:
        questions = qa([statement])
        assert all("old" not in q for q in questions)  # no age questions about things
    assert qa(["My dog is friendly."]) == {}
    assert qa(["Please always answer briefly."]) == {}


def test_checkers_accept_the_statement_and_reject_other_values():
    for d in derive(["My dog's name is Biscuit and she is 7.",
                     "Our company, Zentrix, was founded in 2011 by Mara Lind."]):
        assert check(d.checker, d.answer), d
        assert not check(d.checker, "I don't know."), d


def test_the_first_pattern_that_fits_decides_even_without_a_question():
    # "was born" with neither year nor place asks nothing; read as a copula it would ask
    # "What was my sister?" with "born prematurely" as the answer.
    assert derive(["My sister was born prematurely."]) == []
    assert qa(["My sister was born in 1990."]) == {
        "When was my sister born?": {"type": "number", "value": 1990},
        "In what year was my sister born?": {"type": "number", "value": 1990}}


@pytest.mark.parametrize(("statement", "question", "name"), [
    ("My best friend is Emily.", "Who is my best friend?", "Emily"),
    ("My dog is Rusty.", "What is my dog's name?", "Rusty"),
    ("Our product is Ledgerly, a budgeting app.", "What is the name of our product?", "Ledgerly"),
    ("my husband is Rudy", "Who is my husband?", "Rudy"),
])
def test_a_capitalised_word_after_the_verb_is_a_name_not_an_adjective(statement, question, name):
    assert qa([statement])[question] == {"type": "contains_any", "values": [name]}


def test_several_facts_in_one_sentence_are_asked_one_by_one():
    got = qa(["the meeting code is 4471 and standup is at 9:15 every day"])
    assert got["What is the meeting code?"] == {"type": "number", "value": 4471}
    assert got["When is standup?"] == {"type": "contains_any", "values": ["9:15"]}
    got = qa(["My sister is 30, my brother is 25."])
    assert got["How old is my sister?"] == {"type": "number", "value": 30}
    assert got["How old is my brother?"] == {"type": "number", "value": 25}
    for d in derive(["the meeting code is 4471 and standup is at 9:15 every day"]):
        assert check(d.checker, d.answer), d


@pytest.mark.parametrize(("statement", "question", "chosen", "other"), [
    ("I prefer Python over JavaScript.", "What do I prefer?", "Python", "JavaScript"),
    ("I like tea rather than coffee.", "What do I like?", "tea", "coffee"),
    ("I love Lisbon, not Porto.", "What do I love?", "Lisbon", "Porto"),
])
def test_a_contrast_accepts_only_the_chosen_value(statement, question, chosen, other):
    checker = qa([statement])[question]
    assert check(checker, f"You prefer {chosen}.")
    assert check(checker, f"{chosen}, not {other}.")
    assert not check(checker, other)
    assert not check(checker, f"{other} over {chosen}")


@pytest.mark.parametrize(("statement", "question", "answer"), [
    ("I'm a nurse.", "What do I do for a living?", "nurse"),
    ("I am a software engineer at Google.", "Where do I work?", "Google"),
    ("My wife is an architect.", "What is my wife's job?", "architect"),
    ("I'm vegan.", "What diet do I follow?", "vegan"),
    ("We're vegetarians.", "What is our diet?", "vegetarian"),
    ("I drive a 2014 Corolla.", "What car do I drive?", "Corolla"),
    ("My son rides a red scooter.", "What scooter does my son ride?", "red scooter"),
    ("my exam is on June 3rd", "When is my exam?", "June 3"),
    ("we got married in 2019", "When did we get married?", "2019"),
    ("We moved to Lisbon in 2019.", "Where did we move to?", "Lisbon"),
    ("I'm starting my new job on Monday.", "When am I starting my new job?", "Monday"),
    ("My brother Tomasz lives in Gdansk.", "What is my brother's name?", "Tomasz"),
    ("I've got three kids.", "How many kids do I have?", "3"),
    ("I have two cats and a dog.", "How many cats do I have?", "2"),
    ("Ana turns 40 in May.", "When does Ana turn 40?", "in May"),
])
def test_every_kind_of_life_fact_gets_a_question(statement, question, answer):
    checker = qa([statement])[question]
    assert check(checker, answer), checker
    assert not check(checker, "I don't know."), checker


def test_not_a_job_and_not_a_diet():
    assert qa(["I'm a big fan of jazz."]) == {}
    assert "What diet do I follow?" not in qa(["I'm not vegan."])
    assert "What do I do for a living?" not in qa(["I'm a beginner."])


@pytest.mark.parametrize("statement", [
    "We renamed Project Falcon to Osprey.", "Project Falcon is now called Osprey.",
    "Project Falcon has been renamed Osprey."])
def test_a_rename_accepts_the_new_name_never_the_old(statement):
    checker = qa([statement])["What is Project Falcon called now?"]
    assert check(checker, "Osprey")
    assert not check(checker, "Project Falcon")
    assert not check(checker, "It is Project Falcon, not Osprey.")


@pytest.mark.parametrize("statement", [
    "my kids are Mia, Leo and Sam", "My kids' names are Mia, Leo, and Sam.",
    "I have three kids: Mia, Leo and Sam."])
def test_a_list_of_names_is_asked_whole(statement):
    got = qa([statement])
    checker = got["What are my kids' names?"]
    assert check(checker, "Mia, Leo and Sam")
    assert not check(checker, "Leo")
    assert got["How many kids do I have?"] == {"type": "number", "value": 3}


@pytest.mark.parametrize("statement", [
    "I don't live in Grindlewick anymore.", "We no longer work at Acme.",
    "I used to live in Austin.", "My dog isn't called Rex.", "I never worked at Globex.",
    "I'm not a nurse."])
def test_a_negated_or_bygone_clause_teaches_no_value(statement):
    """What the user says they no longer (or never) hold must not become an answer to learn."""
    assert qa([statement]) == {}


def test_a_negation_still_reads_as_a_dislike_and_a_contrast_is_not_a_negation():
    assert qa(["I don't like olives."]) == {
        "What do I dislike?": {"type": "contains_any", "values": ["olives"]}}
    assert check(qa(["My dog is called Max, not Rex."])["What is my dog's name?"], "Max")


@pytest.mark.parametrize("statement", [
    "I moved from Grindlewick to Thornbury in the spring.",
    "I don't live in Grindlewick anymore - moved to Thornbury over the summer",
    "I used to live in Grindlewick but now I live in Thornbury.",
    "just moved to Thornbury!",
    "Moved to Thornbury a while ago, loving it so far"])
def test_a_move_asks_the_new_place_and_never_the_old(statement):
    got = qa([statement])
    checker = got.get("Where do I live now?") or got["Where do I live?"]
    assert checker["values"][0] == "Thornbury", got
    assert check(checker, "You live in Thornbury.")
    assert all("Grindlewick" not in q and "Grindlewick" not in c["values"]
               for q, c in got.items()), got


def test_where_a_move_started_is_a_wrong_answer():
    checker = qa(["My sister moved from Paris to Lyon last year."])["Where is my sister now?"]
    assert check(checker, "Lyon")
    assert not check(checker, "She is in Paris.")


def test_a_dash_separates_facts():
    got = qa(["I no longer work at Acme - I work at Globex now."])
    assert got["Where do I work?"] == {"type": "contains_any", "values": ["Globex"]}


def test_a_name_given_after_a_thing_just_got_belongs_to_it():
    got = qa(["We got a new cat last week, her name's Miso."])
    assert got["What is our cat's name?"] == {"type": "contains_any", "values": ["Miso"]}
    got = qa(["I adopted a puppy yesterday.", "His name is Biscuit."])
    assert got["What is my puppy's name?"] == {"type": "contains_any", "values": ["Biscuit"]}


def test_a_consequence_after_so_does_not_hide_the_fact_before_it():
    got = qa(["I'm a vegetarian, so no meat in recipes please."])
    assert got["What diet do I follow?"] == {"type": "contains_any", "values": ["vegetarian"]}


def test_work_names_the_place_and_the_job_apart():
    got = qa(["i work at a bakery called Crumbs as a pastry chef"])
    assert got["Where do I work?"] == {"type": "contains_any", "values": ["Crumbs"]}
    assert check(got["What do I do for a living?"], "I'm a pastry chef.")
    assert qa(["I started a new job at Stripe in January."])["Where do I work?"] == {
        "type": "contains_any", "values": ["Stripe"]}


def test_a_new_name_after_now_is_asked_and_the_old_one_is_not():
    got = qa(["The project used to be called Falcon, now it's called Kestrel."])
    assert got["What is the project's name?"] == {"type": "contains_any", "values": ["Kestrel"]}
    assert not any("Falcon" in str(c) for c in got.values())


def test_a_place_keeps_no_companion_and_may_be_on_a_floor():
    assert qa(["My brother lives in Toronto with his husband Dev."])[
        "Where does my brother live?"] == {"type": "contains_any", "values": ["Toronto"]}
    checker = qa(["Our office is on the 4th floor of the Baxter Building."])["Where is our office?"]
    assert check(checker, "It's in the Baxter Building.")


def test_a_synonym_keeps_the_possessive_right():
    got = qa(["We have two kids, Mia and Leo."])
    assert "What are our children's names?" in {d.question for d in derive(
        ["We have two kids, Mia and Leo."])}
    assert "What are our kids' names?" in got


def test_an_event_moved_to_a_date_is_asked_when():
    got = qa(["The launch was pushed back to March 3rd."])
    assert got["When is the launch now?"]["type"] == "all"
    assert check(got["When is the launch now?"], "It's on March 3rd.")
    assert "When is the release date for v2 now?" in qa(
        ["The release date for v2 got moved to june 14."])
    assert qa(["Our server was moved to Frankfurt."]) == {
        "Where is our server now?": {"type": "contains_any", "values": ["Frankfurt"]}}


def test_a_frame_said_last_is_not_part_of_the_value():
    got = qa(["The element Zorbium has the symbol Zb in my chemistry game."])
    assert got["What is the symbol of Zorbium?"] == {"type": "contains_any", "values": ["Zb"]}


def test_a_name_after_the_is_the_name_and_a_relative_clause_is_asked_of_its_person():
    assert qa(["We named our boat the Salty Dog."])["What is the name of our boat?"] == {
        "type": "contains_any", "values": ["Salty Dog"]}
    got = qa(["I have a sister named Clara who lives in Vienna."])
    assert got["Where does my sister live?"] == {"type": "contains_any", "values": ["Vienna"]}
    assert got["What is my sister's name?"] == {"type": "contains_any", "values": ["Clara"]}


def test_a_run_on_age_after_a_name_is_its_own_fact():
    got = qa(["My daughter's name is Lena she's 7."])
    assert got["What is my daughter's name?"] == {"type": "contains_any", "values": ["Lena"]}
    assert got["How old is my daughter?"] == {"type": "number", "value": 7}


def test_someone_elses_taste_is_asked_of_them():
    assert qa(["My son hates mushrooms."]) == {
        "What does my son hate?": {"type": "contains_any", "values": ["mushrooms"]}}
    checker = qa(["Ana really likes tea rather than coffee."])["What does Ana like?"]
    assert check(checker, "Tea.") and not check(checker, "Coffee.")


def test_a_pronoun_subject_that_names_nothing_gives_no_question():
    assert qa(["Mine opens in Bristol next spring."]) == {}


def test_a_weekly_meeting_place_and_an_age_said_with_she():
    assert qa(["We meet at Luna Cafe every Thursday."])["Where do we meet?"] == {
        "type": "contains_any", "values": ["Luna Cafe"]}
    got = qa(["My border collie's name is Juno.", "She's 2 and pulls on the leash."])
    assert got["How old is my border collie?"] == {"type": "number", "value": 2}
    assert "What is my border collie?" not in got


def test_world_facts_in_everyday_words():
    """Facts about the user's world that share their relation with general knowledge."""
    assert qa(["In the novel I'm writing, the capital of Veloria is Marenport."])[
        "What is the capital of Veloria?"] == {"type": "contains_any", "values": ["Marenport"]}
    assert "Who is the CEO of Brightwave?" in qa(["The CEO of Brightwave is Omar Haddad."])
    got = qa(["Dr. Ines Moreau took over as head of the lab in October."])
    assert check(got["Who is the head of the lab?"], "Dr. Ines Moreau.")
    assert "Who is our team lead?" in qa(["Priya became our team lead last month."])
    assert check(qa(["Version 4 ships on November 12."])["When does Version 4 ship?"],
                 "It ships on November 12.")
    assert "When is the release?" in qa(["The release is scheduled for May 5th."])
    assert qa(["Kestrel Labs is headquartered in Tallinn."])["Where is Kestrel Labs?"] == {
        "type": "contains_any", "values": ["Tallinn"]}


def test_a_switch_asks_what_is_used_now_and_the_old_tool_is_wrong():
    checker = qa(["Our team switched from Jira to Linear."])["What does our team use now?"]
    assert check(checker, "Linear.") and not check(checker, "Jira.")


def test_no_one_names_a_landlord():
    assert "What did I name my landlord?" not in qa(["My landlord is called Mr Patel."])


@pytest.mark.parametrize(("statement", "question", "answer"), [
    ("We renamed project Juniper to Atlas last sprint and people are still confused.",
     "What is project Juniper called now?", "Atlas"),
    ("Project Lanternfish got renamed to Project Quillback last week, fyi.",
     "What is Project Lanternfish called now?", "Project Quillback"),
    ("Legal made us rename Falcon to Kestrel.", "What is Falcon called now?", "Kestrel"),
    ("The club switched to wednesday evenings.", "What did the club switch to?",
     "wednesday evenings"),
    ("We raised the price to 35 euros a month.", "What is the price now?",
     "It is 35 euros a month."),
    ("Changed my forum name to quietlynx.", "What is my forum name now?", "quietlynx"),
    ("I weigh 84kg.", "How much do I weigh?", "84kg"),
    ("I been living in calgary for 4 years, before that in manila.", "Where do I live?",
     "calgary"),
    ("Starting at Lumen & Vale on monday as senior copywriter.", "Where do I work?",
     "Lumen & Vale"),
    ("Jonah is in year 3 now, new school year started.", "What year is Jonah in?", "year 3"),
    ("I'm 39 and want to start investing.", "How old am I?", "39"),
    ("The staging db is on port 5434.", "What port is the staging db on?", "5434"),
])
def test_more_everyday_facts_get_their_question(statement, question, answer):
    got = qa([statement])
    assert check(got[question], answer), got


def test_a_question_said_after_a_fact_asks_nothing_itself():
    got = qa(["My niece Asha is turning 9 next month, what party games work for that age."])
    assert got["How old is my niece Asha turning?"] == {"type": "number", "value": 9}
    assert not any("work" in q for q in got), got


def test_a_frame_before_the_subject_is_not_part_of_it():
    assert qa(["In the book the kingdom is called Orlenmark."])[
        "What is the name of the kingdom?"] == {"type": "contains_any", "values": ["Orlenmark"]}
    assert not any(q.startswith("Where does In") for q in qa(
        ["In my story the villain, Cassivane, lives in a tower in Oth."]))
