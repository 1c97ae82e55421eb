"""Realistic benchmark threads, built fast.

A thread is generated in Python in the order its comments were written
(each reply after its parent), then inserted with bulk_create in that
order with ids drawn from the table's sequence up front, so every reply
can name its parent before either is saved. The thread trigger still
runs for every row (a row-level BEFORE trigger sees the rows inserted
before it in the same statement) and computes path and depth.
"""

import random
from datetime import UTC, datetime, timedelta

TOP_LEVEL_SHARE = 0.2
MAX_DEPTH = 5
BODY_MIN, BODY_MODE, BODY_MAX = 50, 150, 1500

_WORDS = (
    "the a and of to in is it this that was for on with as his but so just really great "
    "album record track side vinyl tape rip sound trumpet sax piano bass drums brushes "
    "solo theme score film night paris lift scaffold cool modal blue kind improvised "
    "session studio take master mono stereo pressing reissue sleeve liner notes cover "
    "love listen again thanks posting share upload link dead please reupload found "
    "heard first time years ago father collection always favourite moody rainy streets "
    "moreau malle kenny clarke pierre michelinie barney wilen rené urtreger jeanne"
)
WORDS = _WORDS.split()
_FIRST_NAMES = (
    "Anne Bruno Claire David Elena Farid Grace Hugo Inès Jules Karim Léa Marc Nina Oscar "
    "Paula Quentin Rosa Sami Théo Ugo Vera Walter Xavier Yasmine Zoé"
)
FIRST_NAMES = _FIRST_NAMES.split()
HANDLES = [
    "jazzcat",
    "vinylhead",
    "poetichigh",
    "bluenote58",
    "ascenseur",
    "coolschool",
    "modalman",
    "nightowl",
]


def thread_shape(size, rng, top_share=TOP_LEVEL_SHARE, max_depth=MAX_DEPTH):
    """[(parent index or None, depth)] for size comments, in the order written.

    About top_share of them start a conversation; every other one answers
    an earlier comment that is not yet at max_depth, usually a recent one
    (conversations run in bursts), sometimes any earlier one.
    """
    if size == 0:
        return []
    top_count = max(1, round(size * top_share))
    top_level = {0, *rng.sample(range(1, size), top_count - 1)}
    shape, can_reply_to = [], []
    for index in range(size):
        if index in top_level:
            shape.append((None, 1))
        else:
            pool = can_reply_to[-30:] if rng.random() < 0.8 else can_reply_to
            parent = rng.choice(pool)
            shape.append((parent, shape[parent][1] + 1))
        if shape[index][1] < max_depth:
            can_reply_to.append(index)
    return shape


def chain_shape(size):
    """A reply chain: every comment answers the one before it."""
    return [(None if index == 0 else index - 1, index + 1) for index in range(size)]


def body_text(rng):
    """Plain text of 50–1,500 characters (mostly short), in paragraphs, sometimes a link."""
    length = int(rng.triangular(BODY_MIN, BODY_MAX, BODY_MODE))
    words = rng.choices(WORDS, k=length // 4)
    for _ in range(length // 400):
        words[rng.randrange(len(words))] += "\n\n"
    if rng.random() < 0.1:
        words.insert(
            rng.randrange(len(words)), f"http://www.example.com/{rng.choice(WORDS)}/{rng.randrange(10_000)}"
        )
    text = " ".join(words).replace("\n\n ", "\n\n")[:length].strip()
    return text.capitalize() if len(text) >= BODY_MIN else text.capitalize().ljust(BODY_MIN, ".")


class People:
    """A pool of commenters who come back (name, email, website)."""

    def __init__(self, rng, count=400):
        self.people = []
        for number in range(count):
            if rng.random() < 0.3:
                name = f"{rng.choice(HANDLES)}{number}"
            else:
                name = f"{rng.choice(FIRST_NAMES)} {chr(65 + number % 26)}."
            url = f"https://{name.split()[0].lower()}{number}.example.net/" if rng.random() < 0.3 else ""
            self.people.append((name, f"reader{number}@example.com", url))

    def pick(self, rng):
        return rng.choice(self.people)


def post_fields(label, published_at):
    """A post like the archive's: a title, a slug, a few paragraphs."""
    paragraphs = "".join(
        f"<p>{' '.join(random.Random(label + str(n)).choices(WORDS, k=60)).capitalize()}.</p>"
        for n in range(4)
    )
    return {
        "title": f"Bench Quartet - {label} (1958)",
        "slug": f"bench-{label}",
        "body": paragraphs,
        "excerpt": "",
        "published_at": published_at,
    }


def allocate_ids(cursor, count):
    """count fresh ids from comments_comment's sequence, ascending."""
    if count == 0:
        return []
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence('comments_comment', 'id')) FROM generate_series(1, %s)",
        [count],
    )
    return sorted(row[0] for row in cursor.fetchall())


def create_thread_post(label, shape, rng, people, published_at, batch_size=2000):
    """A published post whose approved comments have the given shape; returns the post.

    Needs Django set up against the scratch database.
    """
    from django.db import connection, transaction

    from comments.models import Comment
    from comments.text import plain_text_to_html
    from posts.models import Post

    with transaction.atomic():
        post = Post.objects.create(**post_fields(label, published_at))
        with connection.cursor() as cursor:
            ids = allocate_ids(cursor, len(shape))
        # Written over two years after the post, in order.
        span = timedelta(days=730)
        step = span / max(len(shape), 1)
        comments = []
        for index, (parent, _depth) in enumerate(shape):
            name, email, url = people.pick(rng)
            body = body_text(rng)
            comments.append(
                Comment(
                    id=ids[index],
                    post=post,
                    parent_id=None if parent is None else ids[parent],
                    name=name,
                    email=email,
                    url=url,
                    body=body,
                    body_html=plain_text_to_html(body),
                    status=Comment.Status.APPROVED,
                    kind=Comment.Kind.COMMENT,
                    created_at=published_at + step * index + timedelta(seconds=rng.randrange(60)),
                )
            )
        Comment.objects.bulk_create(comments, batch_size=batch_size)
    return post


def check_thread(post, shape):
    """The trigger's depths must match the shape (capped paths keep the true depth)."""
    from comments.models import Comment

    depths = list(Comment.objects.filter(post=post).order_by("id").values_list("depth", flat=True))
    expected = [depth for _parent, depth in shape]
    if depths != expected:
        raise RuntimeError(f"{post.slug}: depths computed by the trigger differ from the built shape")


def export_thread(post):
    """The thread as plain rows (parent-first), for loading into the peer."""
    from comments.models import Comment

    rows = (
        Comment.objects.filter(post=post)
        .order_by("id")
        .values("id", "parent_id", "name", "email", "url", "body", "created_at")
    )
    return {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "published_at": post.published_at.isoformat(),
        "comments": [row | {"created_at": row["created_at"].isoformat()} for row in rows],
    }


BENCH_DATE = datetime(2009, 5, 12, 12, 0, tzinfo=UTC)
