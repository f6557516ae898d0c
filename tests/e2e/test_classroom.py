"""Class mode in the browser: a teacher's viewer asks the room (keyboard only) about a step,
three students on 390 px phones (each their own browser context) join at /join, see the question
with their own numbers and answer; the projector counts 3 answers and draws them, Reveal marks
the right band and shows the step's chain-rule card, and each phone shows its own result — the
expected value being its own run's, as the API's state says. axe-core finds no serious or
critical violation on /join in any of its states.
"""

from __future__ import annotations

import re

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import create_run, open_run, until

#: small enough that every tensor has exact values (≤ 64 elements)
SMALL = {"preset": "pytorch-numpy-two-layer", "iterations": 2,
         "params": {"N": 4, "D_in": 5, "H": 3, "D_out": 2}}
PHONE = {"width": 390, "height": 844}
#: how long a page may take to show what the server said (ms): generous, as a loaded machine
#: computes each student's own run slowly
WAIT = 30000
ELEMENT = (1, 2)
#: the counts of the projector's histogram bars
COUNTS = "bins => bins.map(b => Number(b.dataset.count))"


#: nothing on a phone is wider than the phone
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"
#: the projector's panel shows all of itself at 1024×768: nothing scrolls, nothing sticks out
WHOLE = ("(c => c.scrollHeight <= c.clientHeight + 1 && c.scrollWidth <= c.clientWidth + 1)"
         "(document.querySelector('#room .overlay-card'))")


def serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
            for v in violations if v["impact"] in ("serious", "critical")]


def backward_step(api, run_id: str, node: str) -> int:
    steps = api.get(f"/runs/{run_id}/iterations/0/steps").json()["steps"]
    return next(k for k, s in enumerate(steps) if s["phase"] == "backward" and s["node"] == node)


def grad_element(api, run_id: str, k: int, node: str, index) -> float:
    """∂loss/∂node[index] after step k of iteration 0 of a run, as the API's state says."""
    values = api.get(f"/runs/{run_id}/iterations/0/steps/{k}").json()["nodes"][node]["grad"]["values"]
    for i in index:
        values = values[i]
    return values


def phone(browser, guard, server: str):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    page = guard.watch(context.new_page())
    return context, page


def test_join_page_is_a_real_route_under_the_csp(server):
    response = httpx.get(f"{server}/join")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text)
    assert "style=" not in response.text


def test_a_room_of_three_phones_answers_and_sees_its_own_results(guard, server, api, browser):
    teacher = guard
    teacher.set_viewport_size({"width": 1024, "height": 768})
    run = create_run(api, **SMALL)
    # ∂loss/∂h_relu (h's would be 0 wherever relu blocks: the same for many students)
    k = backward_step(api, run["run_id"], "h_relu")
    open_run(teacher, server, run["run_id"], 0, k)

    # keyboard only: A opens the panel (the class is made), Tab to the element, Enter asks
    teacher.keyboard.press("a")
    teacher.wait_for_selector('#room:not([hidden])[data-state="ask"]')
    until(teacher, "document.getElementById('room-code').textContent.length === 6")
    code = teacher.inner_text("#room-code")
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code)
    assert teacher.evaluate("document.activeElement.id") == "room-kind"
    assert teacher.input_value("#room-kind") == "gradient"
    assert teacher.get_attribute("#room-qr", "src").endswith(f"/classes/{code}/qr.svg")
    # the teacher token is in this tab's sessionStorage, never in the URL
    stored = teacher.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")
    assert "teacher_token" in stored and "token" not in teacher.url

    phones = []
    for name in ("Ada", "Blaise", "Carl"):
        context, page = phone(browser, guard, server)
        page.goto(f"{server}/join?code={code}")
        assert page.input_value("#j-code") == code
        assert page.evaluate(NO_SIDEWAYS)
        if name == "Ada":
            assert serious(page) == [], "join form"
        page.fill("#j-name", name)
        page.click("#j-btn-join")
        page.wait_for_selector('body[data-state="wait"]')
        phones.append((name, context, page))
    assert serious(phones[0][2]) == [], "waiting for a question"

    # the projector polls the question with the ETag it holds: unchanged answers cost a 304
    polled = []
    teacher.on("response", lambda r: re.search(r"/questions/[^/]+$", r.url) and polled.append(r.status))
    teacher.keyboard.press("Tab")
    assert teacher.evaluate("document.activeElement.id") == "room-index"
    teacher.keyboard.type(", ".join(map(str, ELEMENT)))
    teacher.keyboard.press("Enter")
    teacher.wait_for_selector('#room[data-state="open"]')
    assert "∂loss/∂h_relu[1, 2]" in teacher.inner_text("#room-prompt")
    assert teacher.evaluate("document.activeElement.id") == "room-btn-reveal"
    question_id = teacher.evaluate("JSON.parse(Object.entries(sessionStorage)"
                                   ".find(([k]) => k.startsWith('gradwalk-question:'))[1]).question_id")

    # each phone: its own numbers, its own run; Ada and Carl right, Blaise wrong
    expected = {}
    for name, _, page in phones:
        page.wait_for_selector('body[data-state="question"]', timeout=WAIT)
        assert page.evaluate(NO_SIDEWAYS)
        if name == "Ada":
            assert serious(page) == [], "a question"
        me = page.evaluate(f"JSON.parse(localStorage.getItem('gradwalk-student:{code}'))")
        assert me["run_id"] != run["run_id"]
        expected[name] = (me["run_id"], grad_element(api, me["run_id"], k, "h_relu", ELEMENT))
    assert len({v for _, v in expected.values()}) == 3, "every student has their own numbers"
    for name, _, page in phones:
        right = expected[name][1]
        page.fill("#j-input", repr(right * 7 + 1 if name == "Blaise" else right))
        page.click("#j-btn-send")
        page.wait_for_selector('body[data-state="sent"]')
    assert serious(phones[0][2]) == [], "waiting for the reveal"

    # the projector: 3 answers (polled each second), the histogram counts 3
    teacher.wait_for_selector('#room-count[data-answers="3"]', timeout=WAIT)
    assert teacher.evaluate(WHOLE)
    counts = teacher.eval_on_selector_all("#room-chart g.bin", COUNTS)
    assert sum(counts) == 3
    assert teacher.locator("#room-chart g.bin[data-right]").count() == 0, "nothing marked before the reveal"

    assert 200 in polled and 304 in polled, polled
    teacher.keyboard.press("v")
    teacher.wait_for_selector('#room[data-state="revealed"]')
    teacher.wait_for_selector("#room-chart g.bin.correct")
    right_counts = teacher.eval_on_selector_all("#room-chart g.bin.correct", COUNTS)
    assert sum(right_counts) >= 1
    step = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"][k]
    until(teacher, "document.getElementById('room-narration').textContent.length > 0")
    assert teacher.inner_text("#room-narration") == step["narration"]
    assert teacher.locator("#room-math math").count() >= 1
    assert teacher.evaluate(WHOLE)

    for name, context, page in phones:
        page.wait_for_selector('body[data-state="result"]', timeout=WAIT)
        run_id, right = expected[name]
        shown = float(page.get_attribute("#j-expected", "data-value"))
        assert shown == pytest.approx(right, rel=1e-12, abs=1e-15), name
        assert page.get_attribute("#j-verdict", "data-correct") == ("false" if name == "Blaise" else "true")
        # the link opens the step that explains the answer, in the student's own run
        me = page.evaluate(f"JSON.parse(localStorage.getItem('gradwalk-student:{code}'))")
        result = httpx.get(f"{server}/api/v1/classes/{code}/questions/{question_id}/result",
                           headers={"Authorization": f"Bearer {me['student_token']}"}).json()
        assert result["expected"] == pytest.approx(right, rel=1e-12, abs=1e-15)
        href = page.get_attribute("#j-step-link", "href")
        explained = result["explanation"]
        assert href == f"/?run={run_id}&iter={explained['iteration']}&step={explained['step']}"
        assert page.inner_text("#j-narration") == explained["narration"]
        assert page.evaluate(NO_SIDEWAYS)
        if name == "Ada":
            assert serious(page) == [], "the result"
        # a reload is the same student: the same run, the result again
        page.reload()
        page.wait_for_selector('body[data-state="result"]', timeout=WAIT)
        assert f"run={run_id}" in page.get_attribute("#j-step-link", "href")
        context.close()
    # the QR code of the join link is drawn (the server's SVG)
    until(teacher, "document.getElementById('room-qr').naturalWidth > 0")


def test_a_wrong_code_is_said_plainly_and_the_form_stays(guard, server):
    page = guard
    page.set_viewport_size(PHONE)
    page.expected.append("404")
    page.goto(f"{server}/join")
    page.fill("#j-code", "O0I1AB")
    page.click("#j-btn-join")
    until(page, "!document.getElementById('j-error').hidden")
    assert "6 letters and digits" in page.inner_text("#j-error")
    page.fill("#j-code", "ZZZZZZ")
    page.click("#j-btn-join")
    until(page, "document.getElementById('j-error').textContent.includes('no class')")
    assert page.get_attribute("body", "data-state") == "code"
    assert serious(page) == []


def test_the_presenter_window_asks_and_reveals_with_its_keys(guard, server, api):
    page = guard
    run = create_run(api, **SMALL)
    k = backward_step(api, run["run_id"], "h_relu")
    open_run(page, server, run["run_id"], 0, k)
    with page.expect_popup() as popup:
        page.keyboard.press("p")
    presenter = page.watch(popup.value)
    presenter.wait_for_selector(f'body[data-connected="1"][data-step="{k}"]', timeout=15000)
    assert presenter.get_attribute("#p-room", "data-state") == "ask"

    # A in the presenter: the projector asks the room (the kind chosen there: the sign)
    presenter.select_option("#p-room-kind", "sign")
    presenter.focus("#p-room-ask")
    presenter.keyboard.press("a")
    page.wait_for_selector('#room:not([hidden])[data-state="open"]', timeout=WAIT)
    presenter.wait_for_selector('#p-room[data-state="open"]')
    code = page.inner_text("#room-code")
    assert "negative, zero or positive" in page.inner_text("#room-prompt")
    assert presenter.inner_text("#p-room-prompt") == page.inner_text("#room-prompt")
    assert f"code {code}" in presenter.inner_text("#p-room-status")

    # a student answers (through the API): both windows count it, polled each second (no
    # absolute time asserted here: a loaded machine must not fail it)
    student = httpx.post(f"{server}/api/v1/classes/{code}/students", json={"name": "Dora"}).json()
    auth = {"Authorization": f"Bearer {student['student_token']}"}
    question = httpx.get(f"{server}/api/v1/classes/{code}/questions/current", headers=auth).json()
    assert question["choices"] and question["kind"] == "sign"
    answered = httpx.post(f"{server}/api/v1/classes/{code}/questions/{question['question_id']}/answers",
                          json={"answer": question["choices"][0]}, headers=auth)
    assert answered.status_code == 201, answered.text
    page.wait_for_selector('#room-count[data-answers="1"]', timeout=WAIT)
    until(presenter, "document.getElementById('p-room-status').textContent.includes('1 answer')")

    # V in the presenter reveals on the projector; A then offers a new question
    presenter.keyboard.press("v")
    page.wait_for_selector('#room[data-state="revealed"]', timeout=WAIT)
    presenter.wait_for_selector('#p-room[data-state="revealed"]')
    assert presenter.locator("#p-room-chart g.bin[data-right]").count() == 3
    presenter.keyboard.press("a")
    page.wait_for_selector('#room[data-state="ask"]', timeout=WAIT)
    presenter.wait_for_selector('#p-room[data-state="ask"]')


def test_axe_on_the_room_panel_in_normal_and_lecture_mode(guard, server, api):
    page = guard
    for mode, iterations in (("", 2), ("lecture", 3)):
        # a run of its own each time: a run's class and open question stay with the tab
        run = create_run(api, **{**SMALL, "iterations": iterations})
        k = backward_step(api, run["run_id"], "h_relu")
        open_run(page, server, run["run_id"], 0, k, mode=mode)
        page.keyboard.press("a")
        page.wait_for_selector('#room:not([hidden])[data-state="ask"]')
        until(page, "document.getElementById('room-code').textContent.length === 6")
        assert serious(page) == [], f"the form ({mode or 'normal'})"
        page.keyboard.press("Enter")
        page.wait_for_selector('#room[data-state="open"]')
        assert serious(page) == [], f"a question open ({mode or 'normal'})"


def test_self_paced_homework_shows_each_result_then_the_next_question(guard, server, api):
    page = guard
    page.set_viewport_size(PHONE)
    run = create_run(api, **SMALL)
    made = api.post("/classes", json={"run_id": run["run_id"], "self_paced": True}).json()
    teacher = {"Authorization": f"Bearer {made['teacher_token']}"}
    k = backward_step(api, run["run_id"], "h_relu")
    for kind in ("sign", "shape"):
        asked = api.post(f"/classes/{made['class_id']}/questions", headers=teacher,
                         json={"iteration": 0, "step": k, "node": "h_relu", "kind": kind})
        assert asked.status_code == 201, asked.text
    page.goto(f"{server}/join?code={made['code']}")
    page.click("#j-btn-join")
    page.wait_for_selector('body[data-state="question"]', timeout=WAIT)
    assert page.locator("fieldset.j-choices input[type=radio]").count() == 3
    page.click("#j-choice-0")
    page.click("#j-btn-send")
    # homework: the result at once, the next question a tap away
    page.wait_for_selector('body[data-state="result"]', timeout=WAIT)
    page.wait_for_selector("#j-btn-next:not([hidden])", timeout=WAIT)
    page.click("#j-btn-next")
    page.wait_for_selector('body[data-state="question"]')
    assert "shape" in page.inner_text("#j-prompt")
    page.fill("#j-input", "4, 3")
    page.click("#j-btn-send")
    page.wait_for_selector('body[data-state="result"]', timeout=WAIT)
    assert page.get_attribute("#j-verdict", "data-correct") == "true"
    assert page.inner_text("#j-expected") == "(4, 3)"
    assert page.evaluate(NO_SIDEWAYS)


def test_a_join_and_an_answer_lost_on_the_way_back_are_sent_again_and_stored_once(guard, server, api):
    page = guard
    page.set_viewport_size(PHONE)
    page.expected.append("net::ERR_FAILED")
    run = create_run(api, **SMALL)
    made = api.post("/classes", json={"run_id": run["run_id"]}).json()
    teacher = {"Authorization": f"Bearer {made['teacher_token']}"}
    k = backward_step(api, run["run_id"], "h_relu")
    asked = api.post(f"/classes/{made['class_id']}/questions", headers=teacher,
                     json={"iteration": 0, "step": k, "node": "h_relu", "kind": "value",
                           "index": list(ELEMENT)}).json()
    keys = {"students": [], "answers": []}

    def lose_the_first_reply(route):
        tried = keys[route.request.url.rsplit("/", 1)[1]]
        tried.append(route.request.headers.get("idempotency-key"))
        if len(tried) == 1:
            route.fetch()  # the server stores it; its reply never reaches the phone
            route.abort("failed")
        else:
            route.continue_()

    page.route("**/students", lose_the_first_reply)
    page.route("**/answers", lose_the_first_reply)
    page.goto(f"{server}/join?code={made['code']}")
    page.click("#j-btn-join")
    page.wait_for_selector('body[data-state="question"]', timeout=WAIT)
    page.fill("#j-input", "0.5")
    page.click("#j-btn-send")
    page.wait_for_selector('body[data-state="sent"]', timeout=WAIT)
    for tried in keys.values():
        assert len(tried) == 2 and tried[0] and tried[0] == tried[1], keys
    status = api.get(f"/classes/{made['class_id']}/questions/{asked['question_id']}",
                     headers=teacher).json()
    assert status["students"] == 1 and status["answers"] == 1
    assert page.inner_text("#j-sent-answer") == "0.5"
