import PaywallClient

/// Which page of the payment list to read next when looking a sale up. Pure.
///
/// Paywall documents 0-based pages (`Result.Pagination.CurrentPage` is 0 on the first page,
/// `docs/fiziksel-pos/6.-odeme/1.-odemeler.md`, API-NOTES S3). The scan must still never skip a
/// page if a Paywall counts from 1, so it follows what the answer says rather than its own count:
/// - a short page (fewer items than asked for, or than the `PageSize` Paywall answers with when it
///   caps the size) is the last one;
/// - an empty first page whose paging says there are payments means pages count from 1: read 1;
/// - the next page is `CurrentPage + 1` when the answer gives `CurrentPage` (so a Paywall that
///   answered page 1 to index 0 is read on from 2, not re-read), else the requested index + 1;
/// - `CurrentPage >= PageCount` means past the end under either counting; `PageCount` alone never
///   stops a scan whose last page was full (one extra request instead of a skipped page).
public enum PaymentListScan {
    /// The next `pageIndex` to request after `page` (answered to `requested` with `pageSize`), or
    /// `nil` when the scan is complete.
    public static func next(after page: PaymentListPage, requested: Int, pageSize: Int) -> Int? {
        // A page Paywall capped below what we asked for is full at its own size.
        if page.items.isEmpty {
            let hasPayments = (page.totalCount ?? 0) > 0 || (page.pageCount ?? 0) > 0
            return requested == 0 && hasPayments ? 1 : nil
        }
        // Short means short of what Paywall says its pages hold (it may cap the size we asked
        // for), and never while fewer payments were seen than it says there are.
        let served = min(pageSize, page.pageSize ?? pageSize)
        if page.items.count < served { return nil }
        if let current = page.currentPage, let count = page.pageCount, current >= count { return nil }
        let next = page.currentPage.map { $0 + 1 } ?? requested + 1
        return max(next, requested + 1)
    }
}
