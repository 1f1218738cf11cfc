"""Issue 26: the dashboard and the questionnaire at a phone's width (390 px) and a desktop's
(1280 px), in headless Chromium: no horizontal scroll, tap targets at least 44 px high,
text at least 14 px, and the text of the cells in a table row on one baseline (Chinese and
Latin, "—" and digits alike)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Site
from tests.web.test_customer_copy import pre_meeting_invite
from tests.web.test_dashboard import MANAGER, _signed_in, _world

WIDTHS = (390, 1280)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Layout does not depend on the database: SQLite only (the pages' data are tested on
    both elsewhere)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'layout.db'}"
CHECK = """() => {
  const problems = [];
  const page = document.scrollingElement;
  if (page.scrollWidth > window.innerWidth + 1)
    problems.push(`scrolls sideways: ${page.scrollWidth} px wide in ${window.innerWidth}`);
  const name = el => `${el.tagName.toLowerCase()} "${(el.textContent || el.value || '')
    .trim().slice(0, 24)}"`;
  for (const el of document.querySelectorAll(
      'a, button, input:not([type=hidden]), select, summary, label:has(input[type=checkbox])')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    if (el.matches('label input[type=checkbox]')) continue;  // its label is the target
    if (box.height < 43.5) problems.push(`tap target ${name(el)}: ${box.height.toFixed(1)} px`);
  }
  const ruler = document.createElement('canvas').getContext('2d');
  for (const el of document.querySelectorAll('input[placeholder]')) {
    const style = getComputedStyle(el);
    ruler.font = style.font;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (el.clientWidth && ruler.measureText(el.placeholder).width > room + 1)
      problems.push(`placeholder cut: "${el.placeholder}" in ${room.toFixed(0)} px`);
  }
  const starts = new Set([...document.querySelectorAll('dl.answers dd')]
    .map(dd => Math.round(dd.getBoundingClientRect().left)));
  if (starts.size > 1) problems.push(`answer columns start at ${[...starts].join(', ')} px`);
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (texts.nextNode()) {
    const node = texts.currentNode;
    if (!node.textContent.trim() || !node.parentElement.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(node.parentElement).fontSize);
    if (size < 14) problems.push(`text "${node.textContent.trim().slice(0, 24)}": ${size} px`);
  }
  for (const row of document.querySelectorAll('tr')) {
    const baselines = [];
    for (const cell of row.children) {
      if (!cell.textContent.trim()) continue;
      const probe = document.createElement('span');  // an empty inline-block sits on the
      probe.style.display = 'inline-block';          // first line's baseline
      cell.insertBefore(probe, cell.firstChild);
      baselines.push([probe.getBoundingClientRect().bottom, cell.textContent.trim()]);
      probe.remove();
    }
    const ys = baselines.map(b => b[0]);
    if (ys.length > 1 && Math.max(...ys) - Math.min(...ys) > 1)
      problems.push(`baselines differ by ${(Math.max(...ys) - Math.min(...ys)).toFixed(1)} px: `
                    + baselines.map(b => `${b[1].slice(0, 10)}@${b[0].toFixed(1)}`).join(' '));
  }
  return problems;
}"""


async def _problems(page: Any, url: str) -> list[str]:
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    for details in await page.locator("details").all():
        await details.evaluate("d => d.open = true")
    return [f"{url.split('/', 3)[-1]}: {p}" for p in await page.evaluate(CHECK)]


@pytest.mark.parametrize("width", WIDTHS)
async def test_the_dashboard_fits_and_reads_well(site: Site, width: int) -> None:
    ours, _ = await _world(site)
    context, page = await _signed_in(site, MANAGER, viewport={"width": width, "height": 900})
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    for path in ("/team", "/customers", f"/customers/{ours}", "/reps", "/questionnaires",
                 "/report", "/customers?q=没有这个客户"):
        found += await _problems(page, site.base + path)
    await context.close()
    assert found == []


@pytest.mark.parametrize("width", WIDTHS)
async def test_the_questionnaire_fits_and_reads_well(site: Site, width: int) -> None:
    link, _, _ = await pre_meeting_invite(site)
    context = await site.browser.new_context(viewport={"width": width, "height": 844})
    page = await context.new_page()
    found = await _problems(page, link)  # the consent
    await page.click("#agree")
    found += await _problems(page, link)  # options to tap (the industry)
    await page.locator("button.option").nth(0).click()
    found += await _problems(page, link)  # a typed answer (the head count)
    found += await _problems(page, f"{site.base}/q/{'x' * 30}")  # a link not valid
    await context.close()
    assert found == []
