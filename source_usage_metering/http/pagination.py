"""The paging guard every endpoint goes through: a token seen before in the window, or one page too many, stops paging.

A provider that hands back an earlier token (A -> B -> A ...) would otherwise be paged forever: 12,000 requests and
6 GB in a minute on Confluent costs (issue 13). Each window remembers the tokens it was served, so any cycle stops at
its first repeat; a fixed number of pages per window (`MAX_PAGES_PER_WINDOW`, lower or higher per endpoint) stops a
provider that keeps inventing new tokens. Either way the account fails naming the endpoint, and the slice's cursor
stays where it was. Only the tokens are kept (at most one per page), never the pages.
"""

from __future__ import annotations

from airbyte_cdk.models import FailureType

from source_usage_metering.errors import ProviderError

# Pages one request window may take, unless the endpoint sets its own `max_pages`. Safe for the listing endpoints at
# their page size: Confluent's org/v2 lists 100 items a page, so 1,000 pages are 100,000 organizations or environments.
MAX_PAGES_PER_WINDOW = 1_000


class PaginationLoopError(ProviderError):
    """The provider served a page token it had already served in this window: paging would cycle."""


class PageLimitError(ProviderError):
    """A window took more pages than the endpoint's cap."""


class PageGuard:
    """The tokens and pages of the window being read by one endpoint.

    Args:
        account: How errors name the account.
        endpoint: How errors name the endpoint (`GET /billing/v1/costs`).
        max_pages: Pages one window may take.
    """

    def __init__(self, account: str, endpoint: str, max_pages: int = MAX_PAGES_PER_WINDOW) -> None:
        self.account = account
        self.endpoint = endpoint
        self.max_pages = max_pages
        self.pages = 0
        self._seen: set[str] = set()

    def start(self) -> None:
        """A new window: its first page is about to be requested."""
        self._seen.clear()
        self.pages = 1

    def admit(self, token: str | None) -> str | None:
        """The next page's token, or None when there is none (an empty token ends paging).

        Raises:
            PaginationLoopError: when the token was already served in this window.
            PageLimitError: when the window already took `max_pages` pages.
        """
        if not token:
            return None
        if token in self._seen:
            problem = (
                f"provider error: the provider repeated a page token after {self.pages} pages of this window "
                f"({token[:24]}...): its paging cycles. Stopped; the next sync reads the window again"
            )
            raise PaginationLoopError(self.account, self.endpoint, problem, failure_type=FailureType.system_error)
        if self.pages >= self.max_pages:
            problem = (
                f"provider error: the window took more than {self.max_pages} pages, more than this endpoint ever "
                "needs; stopped so that paging stays bounded. The next sync reads the window again"
            )
            raise PageLimitError(self.account, self.endpoint, problem, failure_type=FailureType.system_error)
        self._seen.add(token)
        self.pages += 1
        return token
