"""What kind of sentence, and what kind of passage, a piece of a user's message is.

Only the user's own assertions teach anything about their world. Questions and requests ask,
hypotheticals suppose, role-play and exercises make things up, quoted or pasted text is someone
else's, and marked sarcasm means the opposite. `sentence_type` judges one sentence; `passages`
reads a whole message, where a pasted e-mail or a role-play set-up colours the sentences after
it; `user_sentences` keeps the sentences that are the user's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dream.textnorm import numbers_in, split_sentences

ASSERTION, QUESTION, REQUEST = "assertion", "question", "request"
HYPOTHETICAL, ROLE_PLAY, EXERCISE = "hypothetical", "role-play", "exercise"
QUOTED, SARCASM = "quoted", "sarcasm"
REPORTED, FEEDBACK = "reported", "feedback"
# Sentences whose content the user does not assert, whatever their grammar: someone else's claim
# reported, or a verdict on the assistant's last reply ("that worked"), is no fact of their world.
NOT_ASSERTED = frozenset({HYPOTHETICAL, ROLE_PLAY, EXERCISE, QUOTED, SARCASM, REPORTED, FEEDBACK})

# Discourse openers that hide a sentence's real start ("Oh, and so ..."), for judging its type.
_OPENER = re.compile(r"^(?:(?:oh|ok(?:ay)?|so|well|and|also|but|btw|by the way|hey|hmm+|um+|"
                     r"anyway|alright|honestly|now)\b[\s,:;.!\-]*)+", re.I)
# A question by its first words, with or without "?": "how old is", "wondering if", "do you know".
QUESTION_START = re.compile(
    r"^(?:what|who|whom|whose|when|where|why|how|which|whats|whos|wheres|whens|whys|hows|is|are|am|was|were|do|does|did|can|"
    r"could|would|will|should|shall|may|might|have|has|had|isn'?t|aren'?t|don'?t you|"
    r"any idea|i wonder|i was wondering|i'?m (?:curious|wondering)|(?:just )?wondering|"
    r"(?:just )?curious (?:if|whether|about|what|how|why)|does anyone know|"
    r"i'?d like to know|i want to know|not sure (?:if|whether))\b", re.I)
# A request or command to the assistant: "tell me", "write", "can you", "i need help".
REQUEST_START = re.compile(
    r"^(?:please |pls |kindly )?(?:tell|write|explain|give|help|show|list|translate|summari[sz]e|"
    r"describe|make|create|generate|draft|compose|suggest|recommend|find|calculate|compute|"
    r"solve|fix|check|rewrite|plan|imagine|pretend|define|compare|name|continue|repeat|"
    r"add|remove|shorten|lengthen|expand|delete|replace|redo|tweak|convert|format|rephrase|"
    r"reword|paraphrase|proofread|polish|brainstorm|"
    r"let'?s|go ahead|try|answer|reply|say|can you|could you|would you|i (?:need|want|would "
    r"like|'d like) (?:help|you to|to know|to ask|a|an|some)|i have a question|let me ask)\b",
    re.I)
# A follow-up that only steers the last answer: "something funnier", "darker", "more like Zed",
# "a version where the hero is old" (what follows "where" is fiction, not the user's world).
_FOLLOW_UP = re.compile(
    r"^(?:(?:something|anything|one|another(?: one)?|(?:a )?(?:bit|little|lot|tad)|much|way|"
    r"even|slightly|maybe|but|make it) )?(?:\w+er|more \w+|less \w+|else|different|similar)"
    r"(?: please| pls| than (?:that|this|before)| this time)?[.!]*$"
    r"|^(?:more|less|something|anything|maybe something) like\b"
    r"|^(?:an?|another|one more|the same|same) (?:[\w-]+ ){0,2}?(?:story|sequel|prequel|version|"
    r"poem|song|scene|chapter|ending|draft|joke|tweet|post|paragraph|variant|script|dialogue|"
    r"plot|episode|limerick|haiku|one)s? (?:where|in which|about|but|with|that|like)\b", re.I)
# Supposing rather than stating: "suppose", "what if", "imagine", an unreal or future condition
# not about the assistant ("if I had a dog", "if we ever move"), a consequence hanging on a
# condition ("I'd name it Waffles if ..."), an unreal wish about the user's own world.
_HYPOTHETICAL = re.compile(
    r"^(?:suppose|supposing|imagine|what if|hypothetically|in theory|in a world where|"
    r"in an? (?:alternate|parallel|other) (?:universe|world|life)|let'?s say|say that|"
    r"assum(?:e|ing) that|pretend (?:that )?(?:i|we|my|our)\b|if only)\b"
    r"|\bif (?!you\b)(?:\w+ ){0,3}?(?:had|were|was|could|would|ever|won|owned)\b"
    r"|\b(?:would|'d|could|might)\b.{0,80}\bif (?!you\b)"
    r"|\bif (?!you\b).{0,80}\b(?:would|'d|could|might)\b"
    r"|\bi wish (?:i|we|my|our|it|there|that (?:i|we))\b", re.I)
# A role-play or fiction set-up aimed at the assistant: "you are a pirate", "let's pretend",
# "play the role of", "act as the interviewer", "in this story", "a mock interview".
_ROLE_PLAY = re.compile(
    r"^you(?:'re| are)(?: now| going to be| gonna be)? (?:a|an|the|my|called|named|captain)\b"
    r"(?! (?:life ?saver|genius|star|legend|gem|champ|godsend|saint|hero|angel|best|great)\b)"
    r"|^role[- ]?play\b\s*[:,-]"
    r"|\blet'?s (?:pretend|play|role[- ]?play|do a (?:role[- ]?play|mock|practice))\b"
    r"|\b(?:can|could|shall) we play\b|^(?:(?:please|now|can you|could you|will you) )?"
    r"(?:pretend to be\b|be my (?!guest\b)\w+)"
    r"|\b(?:pretend|imagine) (?:to be|you(?:'re| are)|that you|we(?:'re| are))\b"
    r"|(?:^(?:please |now |can you |could you |i want you to |i'd like you to )?|\byou(?:'ll| will"
    r"| can| could)? )(?:play|take|assume) the (?:role|part) of\b|\bin character\b"
    r"|\brole[- ]?play (?:as|with me|time)\b|\b(?:a|the|this|our) role[- ]?play\b"
    r"|^(?:please |now |can you |could you )?(?:act|behave|respond|talk|speak) (?:as|like) "
    r"(?:a|an|the|my)\b"
    r"|\bin (?:this|our) (?:story|game|scenario|role[- ]?play|fiction|world|campaign|universe)\b"
    r"|\b(?:mock|practice) interview\b|\binterview practice\b"
    r"|\b(?:be|as|play) (?:the|my) (?:interviewer|examiner|customer|opponent|narrator)\b"
    r"|\bi(?:'ll| will) (?:be|play) (?:the|a|an) \w+(?: \w+)? and you(?:'ll| will)? (?:be|play)\b"
    r"|\byou(?:'ll| will) (?:be|play) (?:the|a|an|my)\b|\b(?:my|your) character\b", re.I)
# An exercise, homework task or puzzle: "solve ...", "exercise 3", "quiz me", "here's my
# homework:", a word problem's set-up ("a train leaves at 3pm ..."), "find the area".
_EXERCISE = re.compile(
    r"^(?:please |can you |could you |help me )?(?:solve|simplify|factori[sz]e|differentiate|"
    r"integrate|evaluate|prove|quiz me|test me)\b"
    r"|^(?:exercise|problem|question|task|q|ex\.?)\s*#?\d+[a-z]?\b"
    r"|\b(?:homework|assignment|worksheet|exam|test|quiz) (?:question|problem|exercise|task)s?\b"
    r"|\b(?:my|this|the|a|our) (?:homework|assignment|worksheet|riddle|puzzle|brain ?teaser|"
    r"word problem|math problem|exercise)\b[^.?!]{0,40}:"
    r"|^(?:(?!my\b|our\b)[\w-]+ )?(?:riddle|puzzle|brain ?teaser|quiz)s?\b\s*#?\d*\s*:"
    r"|^(?:logic|maths?|physics|chemistry|chess|geometry|algebra|probability|coding|interview|"
    r"practice|bonus|trick|lateral thinking) (?:puzzle|problem|question|riddle|exercise|"
    r"challenge)s?\b"
    r"|^(?:riddle|puzzle|brain ?teaser|word problem|homework|true or false|multiple choice|"
    r"fill in the blanks?)\b"
    r"|^(?:a|an|one|two) (?:train|car|bus|plane|boat|cyclist|runner|farmer|tank|pool|ladder|"
    r"rectangle|triangle|circle|shop|store|factory|worker|man|woman|boy|girl|student)s? "
    r"(?:\w+ ){0,3}?(?:leaves|left|travels|has|weighs|costs|sells|drives|runs|fills|holds|"
    r"measures|buys|starts)\b.*\d"
    r"|\bfind (?:x|y|n|the value|the area|the perimeter|the derivative|the probability)\b", re.I)
# Material the user quotes rather than says: a sentence opening with a quotation mark, or one
# that reports someone's words into a quote ('he said "...', "she texted: ...").
_QUOTED = re.compile(
    r"^\"[^\"]*(?:\"[.!?,]*)?$|^'[^']+'[.!?]*$|\b(?:said|says|wrote|writes|texted|emailed|"
    r"replied|asked|told (?:me|us)|messaged|posted|tweeted|commented|put it)\s*[:,]?\s*\"", re.I)
# Someone else's claim in the user's words: "my colleague said that ...", "according to Ana,",
# "my uncle insists ...", "I was told ...". The subject is not the user, nor a clause opener.
_SAYER = (r"(?:keeps? (?:saying|telling (?:me|us)|claiming|insisting)|said|says|told (?:me|us)|"
          r"tells (?:me|us)|thinks|reckons|(?:claim|insist|swear|believe|argue|maintain)(?:s|ed)?"
          r"|swore|is convinced|was convinced)")
_REPORTED = re.compile(
    r"^according to\b|^i (?:was told|(?:have |'ve )?heard|read (?:somewhere|online|on))\b"
    r"|^(?!(?:i|we|you|i'm|if|when|whenever|because|since|after|before|what|how|why|unless|"
    r"although|though|as|that)\b)(?:[\w'-]+ ){1,5}?" + _SAYER +
    r"(?! (?:were|are|was|is|have|had|has|will|for|of|to|and|hi|hello|yes|no)\b)\b", re.I)
# Sarcasm the writer marked: "/s", "yeah right", "... not!", "sure, because ...", "lol jk".
_SARCASM = re.compile(
    r"(?:^|\s)/s\b|\byeah,? right\b|\bnot!+\s*$|^(?:oh,? )?(?:sure|yeah|right|totally),? "
    r"because\b|\b(?:jk|j/k|just kidding|only kidding)\b|^as if\b|\bsaid no ?one ever\b"
    r"|\((?:not|sarcasm|sarcastic|being sarcastic|jk|kidding)\b[^)]*\)|#sarcasm\b|/sarcasm\b"
    r"|[,.\u2026]\s*(?:not|yeah,? sure)[.!]*\s*$|^(?:oh,? )?(?:yeah,? )?totally[,!]", re.I)
# An eye-roll after a glowing claim ("best meeting ever 🙄") says the opposite.
_EYE_ROLL = re.compile("[\U0001F644\U0001F643\U0001F612\U0001F611]")
_GLOWING = re.compile(r"\b(?:love\w*|great|best|favou?rite|fun|amazing|wonderful|fantastic|"
                      r"perfect|thrilled|can'?t wait|so happy|awesome|brilliant|excellent|"
                      r"enjoy\w*|nice|adore|fabulous|delighted)\b", re.I)
# A verdict on the assistant's last reply, nothing more: "thanks, that worked perfectly".
_FEEDBACK = re.compile(
    r"^(?:(?:thanks|thank you|thx|ty|great|perfect|cool|nice|awesome|wow|ok(?:ay)?)[,!.]* )*"
    r"(?:that|this|it|yours|the (?:answer|code|fix|reply|recipe|list|suggestion|(?:first|second|"
    r"last) one)|your (?:answer|code|fix|reply|suggestion|idea|explanation))"
    r"(?:'s| is| was| worked| works| helped| helps| did| looks| sounds| makes)"
    r"(?: (?:so|really|very|super|much|perfectly|great|well|fine|nicely|helpful|useful|perfect|"
    r"wrong|right|correct|better|worse|brilliant|amazing|awesome|good|bad|clear|confusing|a lot|"
    r"the trick|like a charm|now|for me|sense|thanks|thank you))*[\s.!,]*$", re.I)
# A remark whose subject is the assistant's own output, whatever it says of it: "that answer was
# too long", "your last reply was wrong", "the email you wrote is too formal".
_ON_REPLY = re.compile(
    r"^(?:(?:that|this|ur|your) (?:(?:last|first|second|previous|earlier|new|other|whole) )?"
    r"(?:answer|reply|response|explanation|code|script|snippet|fix|draft|summary|translation|"
    r"suggestion|advice|output|solution|rewrite)s?\b"
    r"(?! (?:is|was|are) (?:for|from|about|at|in|on|to)\b)"
    r"|your (?:\w+ )?(?:email|letter|list|poem|story|recipe|plan|essay|paragraph|version|"
    r"example)s?\b"
    r"|(?:the|that|this) [\w-]+ (?:you|u) (?:just )?(?:wrote|gave|made|suggested|sent|generated|"
    r"came up with|recommended|proposed|picked|chose)\b)", re.I)
# A tag on its own that takes back the sentence before it: "jk", "/s", "Not!", "yeah right".
_RETRACTION = re.compile(r"^(?:lol |haha |lmao )?\(?(?:/s|jk|j/k|just kidding|only kidding|not|"
                         r"yeah,? right|yeah,? sure|totally|sike|psych|sarcasm)\)?[!. ]*$", re.I)


def sentence_type(sentence: str) -> str:
    """One sentence's type on its own: a `NOT_ASSERTED` type, QUESTION, REQUEST or ASSERTION."""
    text = sentence.strip()
    body = _OPENER.sub("", text)
    if _QUOTED.search(text) or text.startswith(">"):
        return QUOTED
    if _SARCASM.search(text) or (_EYE_ROLL.search(text) and _GLOWING.search(text)):
        return SARCASM
    if _ROLE_PLAY.search(body):
        return ROLE_PLAY
    if _EXERCISE.search(body):
        return EXERCISE
    if _REPORTED.search(body):
        return REPORTED
    if _FEEDBACK.match(body) or _ON_REPLY.match(body):
        return FEEDBACK
    if _HYPOTHETICAL.search(body):
        return HYPOTHETICAL
    if text.endswith("?") or QUESTION_START.match(body):
        return QUESTION
    if REQUEST_START.match(body) or _FOLLOW_UP.match(body):
        return REQUEST
    return ASSERTION


# Each pattern below marks where a passage that is not the user's own begins or ends.
_MATERIAL = (r"(?:e-?mail|message|letter|text|article|post|review|essay|paragraph|passage|"
             r"excerpt|quote|poem|comment|thread|document|contract|notice|reply|response|"
             r"memo|announcement|listing|transcript|conversation|chat|dm)s?")
# Labels that head a paste on their own: "Email:", "Article:", "Quote:".
_LABEL = r"(?:e-?mail|article|letter|message|excerpt|quote|transcript|pasted text)"
# A colon that introduces pasted material: "here's the email:", "pasted below:", "Article:".
_PASTE_INTRO = re.compile(
    rf"(?:\b(?:here'?s|here is|here are|below is|below are|this is|these are|pasting|copying|"
    rf"forwarding|i(?:'ve| have)? (?:pasted|copied|attached|forwarded))\b[^:]{{0,60}}"
    rf"\b{_MATERIAL}\b[^:]{{0,40}}"
    r"|\b(?:pasted|copied|quoted) (?:below|here|in full)"
    rf"|^(?:an? |the |this |that )?(?:{_LABEL}|{_MATERIAL})(?: (?:from|by|of|to) [^:.!?]{{1,30}})?"
    # A task on text that follows: "correct the grammar:", "paraphrase this:", "translate:".
    r"|^(?:please |pls |can you |could you )?(?:correct|fix|proofread|paraphrase|rephrase|reword|"
    r"rewrite|translate|summari[sz]e|shorten|edit|improve|polish|simplify|check|grade|mark|"
    r"analy[sz]e|respond to|reply to|answer|continue|finish|complete)\b"
    r"(?:(?!\b(?:my|our|i|we)\b)[^:]){0,40}):", re.I)
# A colon after a verb of saying: "my landlord wrote:", "she said this morning:", "it reads:".
_SPEECH_INTRO = re.compile(r"\b(?:wrote|writes|said|says|texted|emailed|replied|messaged|posted|"
                           r"sent(?: me| us)?|reads)\b[^:.!?]{0,30}:", re.I)
# The opening of a pasted letter: "Dear Ms Berg,", "To whom it may concern".
_LETTER_OPEN = re.compile(r"^(?:dear|to whom it may concern)\b", re.I)
# A greeting naming someone ("Hi Sam,", "Hello team,"): a letter only when a sign-off follows.
_GREETING = re.compile(r"^(?i:hi|hello|hey|good (?:morning|afternoon|evening))\s+[A-Z]\w*"
                       r"(?:\s+[A-Z]\w*)?\s*,")
# A letter's sign-off, maybe with the name: "Regards,", "Best wishes, Bob", "Sincerely".
_SIGN_OFF = re.compile(
    r"^(?:(?:best|kind|warm|warmest|many|with) (?:regards|wishes|thanks)|regards|best|"
    r"sincerely|yours (?:sincerely|truly|faithfully)|cheers|thanks|thank you|all the best|"
    r"cordially|respectfully|take care)[,.!]?(?-i:\s+[A-Z][\w.'\-]*){0,3}$", re.I)
# A name on its own line, as under a sign-off: "Bob", "Anna K. Berg".
_NAME_LINE = re.compile(r"^[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*){0,3}[.,]?$")
# The user stepping back into their own voice: "OOC:", "anyway", "in real life", "end of email".
_EXIT = re.compile(
    r"^\(?(?:ooc|out of character|anyway|anyways|btw|by the way|in real life|irl|for real|"
    r"real talk|seriously though|on a side note|unrelated|end of (?:the )?\w+|-{3,}|={3,}|"
    r"back to (?:me|reality))\b", re.I)
# A question about the material, back to the assistant: "how should I reply?", "is that legal?"
_TURN_BACK = re.compile(
    r"^(?:how (?:should|do|can|would) i|what (?:should|do|would|can) i|should i|can you|"
    r"could you|would you|please|help me|what do you think|is (?:this|that|it) (?:normal|legal|"
    r"ok|okay|fair|right|true|correct)|any (?:advice|tips|ideas))\b", re.I)
# A word problem's question: a quantity asked about someone else ("how many does she have?").
_PROBLEM_QUESTION = re.compile(
    r"^(?:how (?:many|much|long|far|fast|old)|what time|when will|at what|find|calculate|what is "
    r"the (?:probability|area|speed|total|average|sum|distance))\b", re.I)
# The user speaking of themselves: givens with "I" or "my" are the user's facts, not a problem's.
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|we|we're|our|us)\b", re.I)
# Closing quotes after a sentence's end ('... in March." Is'): moved inside, so that splitting
# keeps them with their sentence and an opened quotation is seen to close.
_CLOSING_QUOTE = re.compile(r"([.!?]+)(\"+)(?=\s|$)")
# A "/s" tag ends its sarcastic sentence even when no full stop does ("I love it /s My bus").
_SARCASM_TAG = re.compile(r"(?<!\S)/s\b[.!]*\s*")


@dataclass
class _Reader:
    """Reads a message sentence by sentence, remembering which passage it is inside."""

    has_sign_off: bool
    block: str | None = None  # QUOTED, ROLE_PLAY or EXERCISE while inside such a passage
    letter: bool = False  # the quoted block is a letter: it ends at its sign-off
    inline: bool = False  # the paste began on its intro's line: the user may turn back any time
    signed: bool = False  # the letter's sign-off was read; a name line may follow
    open_quote: bool = False  # a quotation mark opened and not yet closed
    paragraph_start: bool = True

    def new_paragraph(self) -> None:
        self.paragraph_start = True
        if self.block in (ROLE_PLAY, EXERCISE):  # a story or exercise set-up is one paragraph
            self.block = None

    def read(self, sentence: str) -> str:
        kind = self._inside(sentence) or self._opens(sentence)
        if sentence.count('"') % 2:
            self.open_quote = not self.open_quote
        self.paragraph_start = False
        return kind

    def _inside(self, sentence: str) -> str | None:
        """The type of a sentence inside an open passage, or None when the passage has ended."""
        if self.open_quote:
            return QUOTED
        if self.block is None:
            return None
        if self.signed:
            self.block, self.letter, self.signed = None, False, False
            return QUOTED if _NAME_LINE.match(sentence) else None
        if self.letter and _SIGN_OFF.match(sentence):
            self.signed = True
            return QUOTED
        if _EXIT.match(sentence) or (self.block == QUOTED and not self.letter
                                     and (self.paragraph_start or self.inline)
                                     and _TURN_BACK.match(sentence)):
            self.block = None
            return None
        if self.block == QUOTED and _LETTER_OPEN.match(sentence):
            self.letter = True
        return self.block

    def _opens(self, sentence: str) -> str:
        """The type of a sentence read outside any passage; it may open one."""
        if intro := _PASTE_INTRO.search(sentence) or _SPEECH_INTRO.search(sentence):
            rest = sentence[intro.end():].strip()
            # A quotation ends where its quotation mark closes, words said in a line with them.
            if not rest.startswith('"') and not (rest and intro.re is _SPEECH_INTRO):
                self.block, self.inline = QUOTED, bool(rest)
            return QUOTED
        if _LETTER_OPEN.match(sentence) or (self.has_sign_off and _GREETING.match(sentence)):
            self.block, self.letter, self.inline = QUOTED, True, False
            return QUOTED
        kind = sentence_type(sentence)
        if kind in (ROLE_PLAY, EXERCISE):
            self.block = kind
        return kind


def passages(text: str, pasted: bool = False) -> list[tuple[str, str]]:
    """Every sentence of a message with its type, passages taken into account.

    Lines starting with ">" are quoted; a paste introduced by "here's the email:" or "she wrote:"
    runs until the user turns back ("How should I reply?" opening a paragraph, "anyway", a
    letter's sign-off); a role-play or exercise set-up runs to the end of its paragraph; a tag
    such as "jk" or "/s" makes the sentence before it sarcasm. `pasted`: the message is the
    material an earlier message announced ("here's the email:"), quoted until the user turns back.
    """
    text = _CLOSING_QUOTE.sub(r"\2\1", _SARCASM_TAG.sub("/s\n", text))
    lines = text.split("\n")
    reader = _Reader(has_sign_off=_is_signed(lines), block=QUOTED if pasted else None)
    out: list[tuple[str, str, int]] = []
    paragraph = 0
    for line in lines:
        line = line.strip()
        if not line:
            paragraph += 1
            reader.new_paragraph()
            continue
        pasted = line.startswith(">")
        for sentence in split_sentences(line.lstrip("> ") if pasted else line):
            kind = reader.read(sentence)
            out.append((sentence, QUOTED if pasted else kind, paragraph))
    _mark_retractions(out)
    _mark_problem_givens(out)
    return [(sentence, kind) for sentence, kind, _ in out]


def announces_paste(sentence: str) -> bool:
    """The sentence introduces material that is not in it ("Here's the email he sent:")."""
    intro = _PASTE_INTRO.search(sentence) or _SPEECH_INTRO.search(sentence)
    return bool(intro) and not sentence[intro.end():].strip(" .")


def ends_passage(sentence: str) -> bool:
    """The user steps back into their own voice here ("anyway", "OOC:", "in real life")."""
    return bool(_EXIT.match(sentence))


def _is_signed(lines: list[str]) -> bool:
    """A letter's sign-off with a name ("Best,\nAnna" or "Cheers, Tom"), not a bare "Thanks!"."""
    lines = [line.strip() for line in lines if line.strip()]
    for i, line in enumerate(lines):
        named = re.search(r"[,.!]\s*[A-Z]", line) or (
            i + 1 < len(lines) and _NAME_LINE.match(lines[i + 1]))
        if _SIGN_OFF.match(line) and named:
            return True
    return False


def user_sentences(text: str) -> list[str]:
    """The sentences of a message that the user says in their own voice (no `NOT_ASSERTED`)."""
    return [sentence for sentence, kind in passages(text) if kind not in NOT_ASSERTED]


def _mark_retractions(out: list[tuple[str, str, int]]) -> None:
    """"I love Mondays. jk": the tag takes the sentence before it back, so both are sarcasm; an
    eye-roll opening the next sentence takes back a glowing one ("Best day ever. 🙄")."""
    for i, (sentence, _, paragraph) in enumerate(out):
        rolled = bool(i) and bool(_EYE_ROLL.match(sentence.strip())) and bool(
            _GLOWING.search(out[i - 1][0]))
        tag = _RETRACTION.match(sentence.strip())
        if tag or (rolled and not _EYE_ROLL.sub("", sentence).strip(" .!")):
            out[i] = (sentence, SARCASM, paragraph)
        if i and (tag or rolled):
            out[i - 1] = (out[i - 1][0], SARCASM, out[i - 1][2])


def _mark_problem_givens(out: list[tuple[str, str, int]]) -> None:
    """A paragraph asking a quantity about someone else ("How many apples does Sal have left?")
    is a word problem: its other sentences with numbers and no "I"/"my" are its givens. Two
    numbers at least: "Zentrix makes 300 drones a year. How much is that a month?" stays."""
    for i, (question, _, paragraph) in enumerate(out):
        if not _PROBLEM_QUESTION.match(_OPENER.sub("", question)) or \
                _FIRST_PERSON.search(question):
            continue
        givens = [j for j, (s, _, p) in enumerate(out[:i]) if p == paragraph
                  and numbers_in(s) and not _FIRST_PERSON.search(s)]
        if sum(len(numbers_in(out[j][0])) for j in givens) >= 2:
            for j in givens:
                out[j] = (out[j][0], EXERCISE, paragraph)
