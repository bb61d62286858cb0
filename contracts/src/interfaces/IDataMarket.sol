// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IDataMarket
 * @notice A marketplace for encrypted datasets paid in MarketToken, with
 * escrowed purchases and crowd-sourced collections whose sales are shared with
 * the contributors.
 *
 * Selling: a seller lists a dataset whose data is encrypted under a data key
 * (the listing stores the CIDs and a commitment to that key). A buyer pays the
 * price into escrow and reveals its secp256k1 public key; the seller then posts
 * the data key wrapped (ECIES) to that public key before the delivery deadline
 * and the escrow becomes revenue, or the buyer takes the tokens back once the
 * deadline has passed. A buyer may file one public complaint per delivered
 * purchase; the chain cannot judge data, the complaint is a signal.
 *
 * Collections: a curator opens a collection (a schema) and pays bounties; anyone
 * but the curator contributes batches of rows, staking a deposit per batch. The
 * curator accepts or rejects each batch within a review window; a batch not
 * reviewed in time counts as accepted once anyone settles it. A rejected batch's
 * stake is burned (sent to SINK), so no one profits from a rejection. Accepted
 * rows become shares in the revenue of the collection's listings, shared out
 * with an O(1) accumulator; the bounty paid per contributor can be capped.
 *
 * @dev All amounts are raw token units (1 token = 10**18 units). Ids of
 * listings, purchases, collections and batches start at 1; collection id 0
 * means "no collection". See docs/data-market-protocol.md.
 */
interface IDataMarket {
    // ---------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------

    /// @notice Where a purchase stands: Pending → Delivered or Pending → Refunded.
    enum PurchaseStatus {
        Pending,
        Delivered,
        Refunded
    }

    /// @notice Where a contributed batch stands: Pending → Accepted or Pending → Rejected.
    enum BatchStatus {
        Pending,
        Accepted,
        Rejected
    }

    /**
     * @notice A dataset for sale. Only `active` can change after creation.
     * @param owner The seller, who delivers keys and receives the revenue (for a
     * collection version, the collection's curator).
     * @param deliveryWindow Seconds the owner has, after a purchase, to deliver.
     * @param active Whether new purchases are accepted.
     * @param labelled Whether the dataset has labels (a target column).
     * @param sales Number of delivered purchases.
     * @param price Price in raw token units.
     * @param collectionId Collection this listing is a version of, 0 for none.
     * @param complaints Number of complaints filed by buyers.
     * @param keyCommitment Commitment to the data key (mlmarket.crypto.key_commitment).
     * @param metadataCid CID of the (public) metadata document.
     * @param dataCid CID of the encrypted data envelope.
     * @param license License the data is sold under, e.g. "CC-BY-4.0".
     */
    struct Listing {
        address owner;
        uint32 deliveryWindow;
        bool active;
        bool labelled;
        uint32 sales;
        uint128 price;
        uint64 collectionId;
        uint32 complaints;
        bytes32 keyCommitment;
        string metadataCid;
        string dataCid;
        string license;
    }

    /**
     * @notice One purchase of a listing, with its payment held in escrow until
     * it is delivered or refunded.
     * @param buyer The account that paid (and whose public key the key is wrapped to).
     * @param paidAt Block time of the payment.
     * @param status Pending, Delivered or Refunded.
     * @param complained Whether the buyer has filed its (single) complaint.
     * @param amount Tokens paid (the listing's price at the time).
     * @param listingId The listing bought.
     * @param deliverBy Delivery deadline, `paidAt + deliveryWindow`: the owner may
     * deliver while `block.timestamp < deliverBy`, the buyer may refund from then on.
     */
    struct Purchase {
        address buyer;
        uint64 paidAt;
        PurchaseStatus status;
        bool complained;
        uint128 amount;
        uint64 listingId;
        uint64 deliverBy;
    }

    /**
     * @notice A crowd-sourced dataset: contributors add batches, the curator
     * reviews them and sells versions of the collection as listings.
     * @param curator The account that created the collection.
     * @param curatorCutBps Share of each sale the curator keeps, in basis points.
     * @param reviewWindow Seconds the curator has to review a batch.
     * @param maxRowsPerBatch Largest number of rows one batch may claim.
     * @param stakePerBatch Deposit a contributor pays per batch (back if accepted).
     * @param bountyPerRow Bounty per accepted row, paid while the bounty fund lasts.
     * @param maxBountyRowsPerContributor Most rows one contributor address is paid a
     * bounty for, over all its accepted batches (0 = no cap); further rows still
     * become shares.
     * @param bountyFund Tokens left to pay bounties from.
     * @param totalShares Sum of all contributors' shares (accepted rows).
     * @param accRevenuePerShare Revenue per share accumulated since creation,
     * scaled by ACC_PRECISION (10**18).
     * @param accRemainder Scaled revenue not yet spread because it does not divide
     * by totalShares; it is added to the next sale (always < totalShares).
     * @param schemaCid CID of the schema document contributions must follow.
     */
    struct Collection {
        address curator;
        uint16 curatorCutBps;
        uint32 reviewWindow;
        uint32 maxRowsPerBatch;
        uint128 stakePerBatch;
        uint128 bountyPerRow;
        uint256 maxBountyRowsPerContributor;
        uint256 bountyFund;
        uint256 totalShares;
        uint256 accRevenuePerShare;
        uint256 accRemainder;
        string schemaCid;
    }

    /**
     * @notice A batch of rows offered to a collection.
     * @param contributor The account that submitted (and staked for) the batch.
     * @param submittedAt Block time of the submission.
     * @param status Pending, Accepted or Rejected.
     * @param collectionId The collection the batch belongs to.
     * @param rows Number of rows the contributor claims (shares if accepted).
     * @param reviewBy End of the review window, `submittedAt + reviewWindow`: the
     * curator may review while `block.timestamp < reviewBy`, anyone may settle from then on.
     * @param batchCid CID of the batch, encrypted to the curator.
     */
    struct Batch {
        address contributor;
        uint64 submittedAt;
        BatchStatus status;
        uint64 collectionId;
        uint32 rows;
        uint64 reviewBy;
        string batchCid;
    }

    /**
     * @notice A contributor's position in one collection.
     * @param shares Accepted rows.
     * @param rewardDebt Scaled revenue already accounted for:
     * the share revenue not yet claimed is `(shares * accRevenuePerShare - rewardDebt) / ACC_PRECISION`.
     * @param owed Tokens credited and not yet claimed: returned stakes and bounties.
     */
    struct Contributor {
        uint256 shares;
        uint256 rewardDebt;
        uint256 owed;
    }

    // ---------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------

    /// @notice `owner` listed a dataset as listing `listingId` (a version of `collectionId`, 0 for none).
    event ListingCreated(
        uint256 indexed listingId,
        address indexed owner,
        uint256 indexed collectionId,
        uint256 price,
        uint256 deliveryWindow,
        bool labelled,
        bytes32 keyCommitment,
        string metadataCid,
        string dataCid,
        string license
    );

    /// @notice The owner of listing `listingId` switched new purchases on (`active`) or off.
    event ListingActiveChanged(uint256 indexed listingId, bool active);

    /**
     * @notice `buyer` paid `amount` into escrow for listing `listingId`. The owner
     * must deliver the key, wrapped to `buyerPublicKey` (64 bytes), before `deliverBy`.
     */
    event Purchased(
        uint256 indexed purchaseId,
        uint256 indexed listingId,
        address indexed buyer,
        uint256 amount,
        uint256 deliverBy,
        bytes buyerPublicKey
    );

    /// @notice The owner delivered purchase `purchaseId`: `wrappedKey` is the data key wrapped to the buyer.
    event PurchaseDelivered(
        uint256 indexed purchaseId, uint256 indexed listingId, address indexed buyer, bytes wrappedKey
    );

    /// @notice Purchase `purchaseId` was not delivered in time; `amount` went back to `buyer`.
    event PurchaseRefunded(uint256 indexed purchaseId, uint256 indexed listingId, address indexed buyer, uint256 amount);

    /// @notice `buyer` complained publicly about delivered purchase `purchaseId`.
    event ComplaintFiled(uint256 indexed purchaseId, uint256 indexed listingId, address indexed buyer, string reason);

    /// @notice `amount` of the sale `purchaseId` was credited to `account`'s revenue balance (see withdraw).
    event RevenueCredited(address indexed account, uint256 indexed purchaseId, uint256 amount);

    /**
     * @notice The sale `purchaseId` of a version of collection `collectionId` was
     * split: `curatorAmount` to the curator's revenue balance, `contributorsAmount`
     * over the shares; `accRevenuePerShare` is the accumulator afterwards.
     */
    event CollectionSaleDistributed(
        uint256 indexed purchaseId,
        uint256 indexed collectionId,
        uint256 curatorAmount,
        uint256 contributorsAmount,
        uint256 accRevenuePerShare
    );

    /// @notice `account` withdrew `amount` of revenue.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice `curator` opened collection `collectionId` with these rules (fixed from now on).
    event CollectionCreated(
        uint256 indexed collectionId,
        address indexed curator,
        string schemaCid,
        uint256 curatorCutBps,
        uint256 reviewWindow,
        uint256 maxRowsPerBatch,
        uint256 stakePerBatch,
        uint256 bountyPerRow,
        uint256 maxBountyRowsPerContributor
    );

    /// @notice `funder` added `amount` to the bounty fund of `collectionId`, which now holds `bountyFund`.
    event BountyFunded(uint256 indexed collectionId, address indexed funder, uint256 amount, uint256 bountyFund);

    /// @notice `contributor` submitted batch `batchId` of `rows` rows, staking `stake`; review closes at `reviewBy`.
    event BatchContributed(
        uint256 indexed batchId,
        uint256 indexed collectionId,
        address indexed contributor,
        string batchCid,
        uint256 rows,
        uint256 stake,
        uint256 reviewBy
    );

    /**
     * @notice Batch `batchId` was accepted (`settled`: by settleBatch after the
     * review window, otherwise by the curator): `rows` shares, `bounty` and the
     * returned `stake` are now the contributor's (claim).
     */
    event BatchAccepted(
        uint256 indexed batchId,
        uint256 indexed collectionId,
        address indexed contributor,
        uint256 rows,
        uint256 bounty,
        uint256 stake,
        bool settled
    );

    /// @notice The curator rejected batch `batchId`; its `stake` was forfeited and burned (sent to SINK).
    event BatchRejected(
        uint256 indexed batchId, uint256 indexed collectionId, address indexed contributor, uint256 stake
    );

    /// @notice `contributor` claimed `amount` (share revenue, bounties, stakes) from collection `collectionId`.
    event Claimed(uint256 indexed collectionId, address indexed contributor, uint256 amount);

    // ---------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------

    /// @dev The constructor was given `token`, which is not a contract.
    error DataMarketInvalidToken(address token);

    /// @dev No listing has id `listingId`.
    error DataMarketUnknownListing(uint256 listingId);

    /// @dev No purchase has id `purchaseId`.
    error DataMarketUnknownPurchase(uint256 purchaseId);

    /// @dev No collection has id `collectionId`.
    error DataMarketUnknownCollection(uint256 collectionId);

    /// @dev No batch has id `batchId`.
    error DataMarketUnknownBatch(uint256 batchId);

    /// @dev Only the owner of listing `listingId` may do this; `caller` is not.
    error DataMarketNotListingOwner(uint256 listingId, address caller);

    /// @dev Only the buyer of purchase `purchaseId` may do this; `caller` is not.
    error DataMarketNotBuyer(uint256 purchaseId, address caller);

    /// @dev Only the curator of collection `collectionId` may do this; `caller` is not.
    error DataMarketNotCurator(uint256 collectionId, address caller);

    /// @dev Listing `listingId` is inactive: it accepts no new purchases.
    error DataMarketListingInactive(uint256 listingId);

    /// @dev `field` is `length` bytes long; it must be `minLength` to `maxLength` bytes.
    error DataMarketInvalidLength(string field, uint256 length, uint256 minLength, uint256 maxLength);

    /// @dev A delivery window of `window` seconds is not in 1..`maxWindow`.
    error DataMarketInvalidDeliveryWindow(uint256 window, uint256 maxWindow);

    /// @dev The key commitment is zero; pass mlmarket.crypto.key_commitment(key, dataset_id).
    error DataMarketZeroKeyCommitment();

    /// @dev `amount` raw units is above the largest amount this field holds, `maxAmount`.
    error DataMarketAmountTooHigh(uint256 amount, uint256 maxAmount);

    /// @dev The buyer public key is `length` bytes; it must be the 64-byte uncompressed key without 0x04.
    error DataMarketInvalidPublicKeyLength(uint256 length);

    /// @dev The public key belongs to `keyAddress`, not to the caller `caller`.
    error DataMarketPublicKeyMismatch(address keyAddress, address caller);

    /// @dev Purchase `purchaseId` was already delivered.
    error DataMarketAlreadyDelivered(uint256 purchaseId);

    /// @dev Purchase `purchaseId` was already refunded.
    error DataMarketAlreadyRefunded(uint256 purchaseId);

    /// @dev Purchase `purchaseId` is still pending (not delivered yet).
    error DataMarketNotDeliveredYet(uint256 purchaseId);

    /// @dev The delivery deadline `deliverBy` of purchase `purchaseId` has passed; the buyer can refund.
    error DataMarketDeliveryTooLate(uint256 purchaseId, uint256 deliverBy);

    /// @dev Purchase `purchaseId` can be refunded only from `deliverBy` on.
    error DataMarketRefundTooEarly(uint256 purchaseId, uint256 deliverBy);

    /// @dev The buyer already complained about purchase `purchaseId`.
    error DataMarketAlreadyComplained(uint256 purchaseId);

    /// @dev `account` has no revenue to withdraw.
    error DataMarketNothingToWithdraw(address account);

    /// @dev `account` has nothing to claim from collection `collectionId`.
    error DataMarketNothingToClaim(uint256 collectionId, address account);

    /// @dev A curator cut of `bps` basis points is above `maxBps` (100 %).
    error DataMarketInvalidCuratorCut(uint256 bps, uint256 maxBps);

    /// @dev A review window of `window` seconds is not in 1..`maxWindow`.
    error DataMarketInvalidReviewWindow(uint256 window, uint256 maxWindow);

    /// @dev A row cap of `maxRows` is not in 1..`limit`.
    error DataMarketInvalidRowCap(uint256 maxRows, uint256 limit);

    /// @dev A batch of `rows` rows is not in 1..`maxRows` for collection `collectionId`.
    error DataMarketInvalidRowCount(uint256 collectionId, uint256 rows, uint256 maxRows);

    /// @dev `curator` curates collection `collectionId` and so may not contribute to it.
    error DataMarketCuratorCannotContribute(uint256 collectionId, address curator);

    /// @dev An amount of zero was given where tokens must move.
    error DataMarketZeroAmount();

    /// @dev Batch `batchId` was already accepted.
    error DataMarketBatchAlreadyAccepted(uint256 batchId);

    /// @dev Batch `batchId` was already rejected.
    error DataMarketBatchAlreadyRejected(uint256 batchId);

    /// @dev The review window of batch `batchId` closed at `reviewBy`; it counts as accepted: call settleBatch.
    error DataMarketReviewWindowClosed(uint256 batchId, uint256 reviewBy);

    /// @dev The curator may still review batch `batchId` until `reviewBy`; it can be settled only then.
    error DataMarketReviewWindowOpen(uint256 batchId, uint256 reviewBy);

    // ---------------------------------------------------------------------
    // Listings
    // ---------------------------------------------------------------------

    /**
     * @notice List an encrypted dataset for sale (active at once).
     * @param price Price in raw token units (0 allowed, at most 2**128 - 1).
     * @param metadataCid CID of the metadata document (1..256 bytes).
     * @param dataCid CID of the encrypted data envelope (1..256 bytes).
     * @param labelled Whether the data has labels.
     * @param license License text or SPDX id (0..256 bytes).
     * @param deliveryWindow Seconds to deliver after each purchase (1..MAX_DELIVERY_WINDOW).
     * @param keyCommitment Nonzero commitment to the data key.
     * @param collectionId 0, or a collection whose curator is the caller.
     * @return listingId The new listing's id.
     */
    function createListing(
        uint256 price,
        string calldata metadataCid,
        string calldata dataCid,
        bool labelled,
        string calldata license,
        uint256 deliveryWindow,
        bytes32 keyCommitment,
        uint256 collectionId
    ) external returns (uint256 listingId);

    /**
     * @notice Accept (true) or refuse (false) new purchases of a listing you own.
     * Pending purchases are unaffected: they can still be delivered or refunded.
     */
    function setListingActive(uint256 listingId, bool active) external;

    // ---------------------------------------------------------------------
    // Purchases
    // ---------------------------------------------------------------------

    /**
     * @notice Buy listing `listingId`: pulls its price (approve it first) into escrow.
     * @param buyerPublicKey The caller's 64-byte uncompressed secp256k1 public key
     * (no 0x04 prefix); it must hash to the caller's address.
     * @return purchaseId The new purchase's id.
     */
    function buy(uint256 listingId, bytes calldata buyerPublicKey) external returns (uint256 purchaseId);

    /**
     * @notice Like buy, with an ERC-2612 permit for exactly the price in the same
     * transaction (no approve needed). If the permit fails (e.g. it was already
     * used by someone front-running it) the existing allowance is used.
     */
    function buyWithPermit(
        uint256 listingId,
        bytes calldata buyerPublicKey,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 purchaseId);

    /**
     * @notice Deliver a pending purchase of your listing before its deadline:
     * post the data key wrapped to the buyer's public key (1..512 bytes). The
     * escrow becomes revenue (split for a collection version).
     */
    function deliver(uint256 purchaseId, bytes calldata wrappedKey) external;

    /// @notice Take back the payment of your purchase that was not delivered by its deadline.
    function refund(uint256 purchaseId) external;

    /// @notice File your one public complaint about a delivered purchase (reason: 0..1024 bytes).
    function complain(uint256 purchaseId, string calldata reason) external;

    /// @notice Pay out the caller's whole revenue balance.
    /// @return amount Tokens transferred.
    function withdraw() external returns (uint256 amount);

    // ---------------------------------------------------------------------
    // Collections
    // ---------------------------------------------------------------------

    /**
     * @notice Open a collection; `initialBountyFund` is pulled from the caller (approve it first).
     * @param schemaCid CID of the schema contributions follow (1..256 bytes).
     * @param curatorCutBps Curator's share of each sale, 0..10000 basis points.
     * @param reviewWindow Seconds to review each batch (1..MAX_REVIEW_WINDOW).
     * @param maxRowsPerBatch Row cap per batch (1..2**32 - 1).
     * @param stakePerBatch Deposit per batch in raw units (0 allowed).
     * @param bountyPerRow Bounty per accepted row in raw units (0 allowed).
     * @param maxBountyRowsPerContributor Most rows one contributor address is paid a
     * bounty for over all its accepted batches (0 = no cap). Sponsors read it
     * (getCollection) before funding: it bounds what any one address can take.
     * @param initialBountyFund Tokens for bounties, pulled now (0 allowed).
     * @return collectionId The new collection's id.
     */
    function createCollection(
        string calldata schemaCid,
        uint256 curatorCutBps,
        uint256 reviewWindow,
        uint256 maxRowsPerBatch,
        uint256 stakePerBatch,
        uint256 bountyPerRow,
        uint256 maxBountyRowsPerContributor,
        uint256 initialBountyFund
    ) external returns (uint256 collectionId);

    /// @notice Add `amount` (> 0, pulled from the caller) to a collection's bounty fund.
    function fundBounty(uint256 collectionId, uint256 amount) external;

    /**
     * @notice Submit a batch of `rows` rows (1..maxRowsPerBatch) stored at
     * `batchCid` (encrypted to the curator); pulls the collection's stake.
     * The curator may not contribute to its own collection.
     * @return batchId The new batch's id.
     */
    function contribute(uint256 collectionId, string calldata batchCid, uint256 rows)
        external
        returns (uint256 batchId);

    /**
     * @notice As the curator, accept or reject a pending batch within its review
     * window. Rejecting burns the batch's stake (sends it to SINK).
     */
    function reviewBatch(uint256 batchId, bool accept) external;

    /// @notice Accept a pending batch whose review window has passed (anyone may call).
    function settleBatch(uint256 batchId) external;

    /// @notice Pay out everything the caller earned from a collection: share revenue, bounties, stakes.
    /// @return amount Tokens transferred.
    function claim(uint256 collectionId) external returns (uint256 amount);

    // ---------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------

    /// @notice The payment token.
    function token() external view returns (address);

    /// @notice Listing `listingId` (reverts if unknown).
    function getListing(uint256 listingId) external view returns (Listing memory);

    /// @notice Purchase `purchaseId` (reverts if unknown).
    function getPurchase(uint256 purchaseId) external view returns (Purchase memory);

    /// @notice Collection `collectionId` (reverts if unknown).
    function getCollection(uint256 collectionId) external view returns (Collection memory);

    /// @notice Batch `batchId` (reverts if unknown).
    function getBatch(uint256 batchId) external view returns (Batch memory);

    /// @notice `account`'s position in collection `collectionId` (zeros if none).
    function getContributor(uint256 collectionId, address account) external view returns (Contributor memory);

    /// @notice Number of listings; ids are 1..listingCount().
    function listingCount() external view returns (uint256);

    /// @notice Number of purchases; ids are 1..purchaseCount().
    function purchaseCount() external view returns (uint256);

    /// @notice Number of collections; ids are 1..collectionCount().
    function collectionCount() external view returns (uint256);

    /// @notice Number of batches; ids are 1..batchCount().
    function batchCount() external view returns (uint256);

    /// @notice Whether `account` has a delivered purchase of listing `listingId`.
    function hasAccess(uint256 listingId, address account) external view returns (bool);

    /// @notice `account`'s revenue balance (withdraw pays it).
    function revenueOf(address account) external view returns (uint256);

    /// @notice `account`'s shares (accepted rows) in collection `collectionId`.
    function sharesOf(uint256 collectionId, address account) external view returns (uint256);

    /// @notice What claim(collectionId) would pay `account` now: share revenue, bounties, stakes.
    function pendingRevenue(uint256 collectionId, address account) external view returns (uint256);

    /// @notice The 64-byte public key `account` registered with its first purchase (empty if none).
    function publicKeyOf(address account) external view returns (bytes memory);

    /// @notice The wrapped key delivered for purchase `purchaseId` (empty while not delivered).
    function wrappedKeyOf(uint256 purchaseId) external view returns (bytes memory);
}
