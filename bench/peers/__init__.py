"""Peers: the newest-20 page written the ways people usually write it, to place Agora among them.

Each serves `GET /` from the same database file as Agora and the reference (PEER_DB names it),
with the reference's markup, so the bytes on the wire are alike and only the way differs.
"""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Latest posts</title></head>
<body><main><h1>Latest posts</h1>
{% for post, votes in posts %}<article><h2><a href="/posts/{{ post.id }}">{{ post.title }}</a></h2>
<p>by <a href="/users/{{ post.owner.username }}">{{ post.owner.username }}</a> ·
<time>{{ post.created_at.strftime("%d %b %Y, %H:%M") }} UTC</time> · {{ votes }} votes</p>
<p>{{ post.content }}</p></article>
{% endfor %}</main></body></html>"""
