// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IDataMarket} from "./interfaces/IDataMarket.sol";
import {SINK} from "./libraries/Sink.sol";

/**
 * @title DataMarket
 * @notice Escrowed sales of encrypted datasets and crowd-sourced collections
 * with O(1) revenue sharing. See IDataMarket and docs/data-market-protocol.md.
 * @dev Token flows (every token the contract holds is in exactly one bucket):
 * - pending purchases: the escrowed `amount` of each Pending purchase;
 * - revenue balances (`_revenue`): sellers' and curators' income, paid by withdraw;
 * - bounty funds: `Collection.bountyFund`;
 * - stakes of pending batches: `stakePerBatch` for each Pending batch;
 * - contributor funds: per collection, `owed` of each contributor plus the
 *   scaled share revenue `(shares * acc - rewardDebt + accRemainder) / ACC_PRECISION`.
 * A rejected batch's stake leaves the contract at once for SINK (burned), so it
 * is in no bucket: the curator cannot profit from a rejection, not even through
 * the bounty fund. No privileged role exists; nothing can move tokens except the
 * rules below.
 */
contract DataMarket is IDataMarket, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Longest delivery window a listing may set.
    uint256 public constant MAX_DELIVERY_WINDOW = 30 days;
    /// @notice Longest review window a collection may set.
    uint256 public constant MAX_REVIEW_WINDOW = 30 days;
    /// @notice Scale of `accRevenuePerShare`.
    uint256 public constant ACC_PRECISION = 1e18;
    /// @notice 100 % in basis points.
    uint256 public constant BPS_DENOMINATOR = 10_000;

    uint256 private constant MAX_CID_LENGTH = 256;
    uint256 private constant MAX_LICENSE_LENGTH = 256;
    uint256 private constant MAX_REASON_LENGTH = 1024;
    uint256 private constant MAX_WRAPPED_KEY_LENGTH = 512;
    uint256 private constant PUBLIC_KEY_LENGTH = 64;

    IERC20 private immutable _token;

    uint256 private _listingCount;
    uint256 private _purchaseCount;
    uint256 private _collectionCount;
    uint256 private _batchCount;

    mapping(uint256 listingId => Listing) private _listings;
    mapping(uint256 purchaseId => Purchase) private _purchases;
    mapping(uint256 collectionId => Collection) private _collections;
    mapping(uint256 batchId => Batch) private _batches;
    mapping(uint256 collectionId => mapping(address account => Contributor)) private _contributors;
    mapping(uint256 listingId => mapping(address account => bool)) private _access;
    mapping(address account => uint256) private _revenue;
    mapping(address account => bytes32[2]) private _publicKeys;
    mapping(uint256 purchaseId => bytes) private _wrappedKeys;

    /**
     * @param token_ The MarketToken (ERC-20 with ERC-2612 permit) every payment is made in.
     */
    constructor(address token_) {
        if (token_.code.length == 0) {
            revert DataMarketInvalidToken(token_);
        }
        _token = IERC20(token_);
    }

    // ---------------------------------------------------------------------
    // Listings
    // ---------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function createListing(
        uint256 price,
        string calldata metadataCid,
        string calldata dataCid,
        bool labelled,
        string calldata license,
        uint256 deliveryWindow,
        bytes32 keyCommitment,
        uint256 collectionId
    ) external returns (uint256 listingId) {
        if (price > type(uint128).max) {
            revert DataMarketAmountTooHigh(price, type(uint128).max);
        }
        _checkLength("metadataCid", bytes(metadataCid).length, 1, MAX_CID_LENGTH);
        _checkLength("dataCid", bytes(dataCid).length, 1, MAX_CID_LENGTH);
        _checkLength("license", bytes(license).length, 0, MAX_LICENSE_LENGTH);
        if (deliveryWindow == 0 || deliveryWindow > MAX_DELIVERY_WINDOW) {
            revert DataMarketInvalidDeliveryWindow(deliveryWindow, MAX_DELIVERY_WINDOW);
        }
        if (keyCommitment == bytes32(0)) {
            revert DataMarketZeroKeyCommitment();
        }
        if (collectionId != 0 && _existingCollection(collectionId).curator != msg.sender) {
            revert DataMarketNotCurator(collectionId, msg.sender);
        }

        listingId = ++_listingCount;
        Listing storage listing = _listings[listingId];
        listing.owner = msg.sender;
        // Both fit: deliveryWindow <= MAX_DELIVERY_WINDOW < 2**32, collectionId <= _collectionCount < 2**64.
        listing.deliveryWindow = uint32(deliveryWindow);
        listing.active = true;
        listing.labelled = labelled;
        listing.price = uint128(price);
        listing.collectionId = uint64(collectionId);
        listing.keyCommitment = keyCommitment;
        listing.metadataCid = metadataCid;
        listing.dataCid = dataCid;
        listing.license = license;

        _emitListingCreated(listingId, listing);
    }

    /// @inheritdoc IDataMarket
    function setListingActive(uint256 listingId, bool active) external {
        Listing storage listing = _existingListing(listingId);
        if (listing.owner != msg.sender) {
            revert DataMarketNotListingOwner(listingId, msg.sender);
        }
        listing.active = active;
        emit ListingActiveChanged(listingId, active);
    }

    // ---------------------------------------------------------------------
    // Purchases
    // ---------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function buy(uint256 listingId, bytes calldata buyerPublicKey)
        external
        nonReentrant
        returns (uint256 purchaseId)
    {
        return _buy(listingId, buyerPublicKey);
    }

    /// @inheritdoc IDataMarket
    function buyWithPermit(
        uint256 listingId,
        bytes calldata buyerPublicKey,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (uint256 purchaseId) {
        uint256 price = _existingListing(listingId).price;
        // A permit can be front-run (someone submits the signed permit first, so
        // ours reverts on the used nonce). Ignore the failure and rely on the
        // allowance, which is then in place; transferFrom checks it either way.
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), price, deadline, v, r, s) {}
        catch {} // solhint-disable-line no-empty-blocks
        return _buy(listingId, buyerPublicKey);
    }

    /// @inheritdoc IDataMarket
    function deliver(uint256 purchaseId, bytes calldata wrappedKey) external {
        Purchase storage purchase = _existingPurchase(purchaseId);
        uint256 listingId = purchase.listingId;
        Listing storage listing = _listings[listingId];
        if (listing.owner != msg.sender) {
            revert DataMarketNotListingOwner(listingId, msg.sender);
        }
        _requirePending(purchaseId, purchase.status);
        if (block.timestamp >= purchase.deliverBy) {
            revert DataMarketDeliveryTooLate(purchaseId, purchase.deliverBy);
        }
        _checkLength("wrappedKey", wrappedKey.length, 1, MAX_WRAPPED_KEY_LENGTH);

        address buyer = purchase.buyer;
        uint256 amount = purchase.amount;
        purchase.status = PurchaseStatus.Delivered;
        ++listing.sales;
        _access[listingId][buyer] = true;
        _wrappedKeys[purchaseId] = wrappedKey;
        emit PurchaseDelivered(purchaseId, listingId, buyer, wrappedKey);

        uint256 collectionId = listing.collectionId;
        if (collectionId == 0) {
            _creditRevenue(msg.sender, purchaseId, amount);
        } else {
            _distributeSale(collectionId, purchaseId, amount);
        }
    }

    /// @inheritdoc IDataMarket
    function refund(uint256 purchaseId) external nonReentrant {
        Purchase storage purchase = _existingPurchase(purchaseId);
        if (purchase.buyer != msg.sender) {
            revert DataMarketNotBuyer(purchaseId, msg.sender);
        }
        _requirePending(purchaseId, purchase.status);
        if (block.timestamp < purchase.deliverBy) {
            revert DataMarketRefundTooEarly(purchaseId, purchase.deliverBy);
        }
        uint256 amount = purchase.amount;
        purchase.status = PurchaseStatus.Refunded;
        emit PurchaseRefunded(purchaseId, purchase.listingId, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IDataMarket
    function complain(uint256 purchaseId, string calldata reason) external {
        Purchase storage purchase = _existingPurchase(purchaseId);
        if (purchase.buyer != msg.sender) {
            revert DataMarketNotBuyer(purchaseId, msg.sender);
        }
        PurchaseStatus status = purchase.status;
        if (status == PurchaseStatus.Pending) {
            revert DataMarketNotDeliveredYet(purchaseId);
        }
        if (status == PurchaseStatus.Refunded) {
            revert DataMarketAlreadyRefunded(purchaseId);
        }
        if (purchase.complained) {
            revert DataMarketAlreadyComplained(purchaseId);
        }
        _checkLength("reason", bytes(reason).length, 0, MAX_REASON_LENGTH);
        purchase.complained = true;
        uint256 listingId = purchase.listingId;
        ++_listings[listingId].complaints;
        emit ComplaintFiled(purchaseId, listingId, msg.sender, reason);
    }

    /// @inheritdoc IDataMarket
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _revenue[msg.sender];
        if (amount == 0) {
            revert DataMarketNothingToWithdraw(msg.sender);
        }
        _revenue[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------------
    // Collections
    // ---------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function createCollection(
        string calldata schemaCid,
        uint256 curatorCutBps,
        uint256 reviewWindow,
        uint256 maxRowsPerBatch,
        uint256 stakePerBatch,
        uint256 bountyPerRow,
        uint256 maxBountyRowsPerContributor,
        uint256 initialBountyFund
    ) external nonReentrant returns (uint256 collectionId) {
        _checkLength("schemaCid", bytes(schemaCid).length, 1, MAX_CID_LENGTH);
        if (curatorCutBps > BPS_DENOMINATOR) {
            revert DataMarketInvalidCuratorCut(curatorCutBps, BPS_DENOMINATOR);
        }
        if (reviewWindow == 0 || reviewWindow > MAX_REVIEW_WINDOW) {
            revert DataMarketInvalidReviewWindow(reviewWindow, MAX_REVIEW_WINDOW);
        }
        if (maxRowsPerBatch == 0 || maxRowsPerBatch > type(uint32).max) {
            revert DataMarketInvalidRowCap(maxRowsPerBatch, type(uint32).max);
        }
        // uint128 caps keep rows * bountyPerRow (< 2**160) and every later sum far from overflow,
        // so accepting or settling a batch can never revert on arithmetic.
        if (stakePerBatch > type(uint128).max) {
            revert DataMarketAmountTooHigh(stakePerBatch, type(uint128).max);
        }
        if (bountyPerRow > type(uint128).max) {
            revert DataMarketAmountTooHigh(bountyPerRow, type(uint128).max);
        }

        collectionId = ++_collectionCount;
        Collection storage collection = _collections[collectionId];
        collection.curator = msg.sender;
        // All fit, checked above: bps <= 10000, window <= 30 days, rows <= 2**32 - 1, amounts <= 2**128 - 1.
        collection.curatorCutBps = uint16(curatorCutBps);
        collection.reviewWindow = uint32(reviewWindow);
        collection.maxRowsPerBatch = uint32(maxRowsPerBatch);
        collection.stakePerBatch = uint128(stakePerBatch);
        collection.bountyPerRow = uint128(bountyPerRow);
        // Any value is safe: the cap is only compared with row counts, never multiplied.
        collection.maxBountyRowsPerContributor = maxBountyRowsPerContributor;
        collection.bountyFund = initialBountyFund;
        collection.schemaCid = schemaCid;

        _emitCollectionCreated(collectionId, collection);
        if (initialBountyFund != 0) {
            emit BountyFunded(collectionId, msg.sender, initialBountyFund, initialBountyFund);
            _token.safeTransferFrom(msg.sender, address(this), initialBountyFund);
        }
    }

    /// @inheritdoc IDataMarket
    function fundBounty(uint256 collectionId, uint256 amount) external nonReentrant {
        Collection storage collection = _existingCollection(collectionId);
        if (amount == 0) {
            revert DataMarketZeroAmount();
        }
        uint256 fund = collection.bountyFund + amount;
        collection.bountyFund = fund;
        emit BountyFunded(collectionId, msg.sender, amount, fund);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IDataMarket
    function contribute(uint256 collectionId, string calldata batchCid, uint256 rows)
        external
        nonReentrant
        returns (uint256 batchId)
    {
        Collection storage collection = _existingCollection(collectionId);
        if (collection.curator == msg.sender) {
            // The curator reviews its own batches; it would accept them and take bounty and shares.
            revert DataMarketCuratorCannotContribute(collectionId, msg.sender);
        }
        uint256 maxRows = collection.maxRowsPerBatch;
        if (rows == 0 || rows > maxRows) {
            revert DataMarketInvalidRowCount(collectionId, rows, maxRows);
        }
        _checkLength("batchCid", bytes(batchCid).length, 1, MAX_CID_LENGTH);

        uint256 reviewBy = block.timestamp + collection.reviewWindow;
        batchId = ++_batchCount;
        Batch storage batch = _batches[batchId];
        batch.contributor = msg.sender;
        // Block times fit in 64 bits for the next 500 billion years; rows <= maxRowsPerBatch < 2**32.
        batch.submittedAt = uint64(block.timestamp);
        batch.collectionId = uint64(collectionId);
        batch.rows = uint32(rows);
        batch.reviewBy = uint64(reviewBy);
        batch.batchCid = batchCid;

        uint256 stake = collection.stakePerBatch;
        emit BatchContributed(batchId, collectionId, msg.sender, batchCid, rows, stake, reviewBy);
        if (stake != 0) {
            _token.safeTransferFrom(msg.sender, address(this), stake);
        }
    }

    /// @inheritdoc IDataMarket
    function reviewBatch(uint256 batchId, bool accept) external nonReentrant {
        Batch storage batch = _existingBatch(batchId);
        uint256 collectionId = batch.collectionId;
        Collection storage collection = _collections[collectionId];
        if (collection.curator != msg.sender) {
            revert DataMarketNotCurator(collectionId, msg.sender);
        }
        _requireBatchPending(batchId, batch.status);
        if (block.timestamp >= batch.reviewBy) {
            revert DataMarketReviewWindowClosed(batchId, batch.reviewBy);
        }
        if (accept) {
            _acceptBatch(batchId, batch, collection, false);
        } else {
            // The stake is burned, not kept anywhere the curator could reach (e.g. the bounty
            // fund, which it could pay to an address of its own by accepting that address's batch).
            uint256 stake = collection.stakePerBatch;
            batch.status = BatchStatus.Rejected;
            emit BatchRejected(batchId, collectionId, batch.contributor, stake);
            if (stake != 0) {
                _token.safeTransfer(SINK, stake);
            }
        }
    }

    /// @inheritdoc IDataMarket
    function settleBatch(uint256 batchId) external {
        Batch storage batch = _existingBatch(batchId);
        _requireBatchPending(batchId, batch.status);
        if (block.timestamp < batch.reviewBy) {
            revert DataMarketReviewWindowOpen(batchId, batch.reviewBy);
        }
        _acceptBatch(batchId, batch, _collections[batch.collectionId], true);
    }

    /// @inheritdoc IDataMarket
    function claim(uint256 collectionId) external nonReentrant returns (uint256 amount) {
        Collection storage collection = _existingCollection(collectionId);
        Contributor storage contributor = _contributors[collectionId][msg.sender];
        uint256 accrued = contributor.shares * collection.accRevenuePerShare - contributor.rewardDebt;
        // Pay whole token units only; the fraction (< ACC_PRECISION) stays in
        // `shares * acc - rewardDebt` and is paid once it adds up to a unit.
        uint256 paidScaled = accrued - (accrued % ACC_PRECISION);
        amount = contributor.owed + paidScaled / ACC_PRECISION;
        if (amount == 0) {
            revert DataMarketNothingToClaim(collectionId, msg.sender);
        }
        contributor.rewardDebt += paidScaled;
        contributor.owed = 0;
        emit Claimed(collectionId, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IDataMarket
    function getListing(uint256 listingId) external view returns (Listing memory) {
        return _existingListing(listingId);
    }

    /// @inheritdoc IDataMarket
    function getPurchase(uint256 purchaseId) external view returns (Purchase memory) {
        return _existingPurchase(purchaseId);
    }

    /// @inheritdoc IDataMarket
    function getCollection(uint256 collectionId) external view returns (Collection memory) {
        return _existingCollection(collectionId);
    }

    /// @inheritdoc IDataMarket
    function getBatch(uint256 batchId) external view returns (Batch memory) {
        return _existingBatch(batchId);
    }

    /// @inheritdoc IDataMarket
    function getContributor(uint256 collectionId, address account) external view returns (Contributor memory) {
        _existingCollection(collectionId);
        return _contributors[collectionId][account];
    }

    /// @inheritdoc IDataMarket
    function listingCount() external view returns (uint256) {
        return _listingCount;
    }

    /// @inheritdoc IDataMarket
    function purchaseCount() external view returns (uint256) {
        return _purchaseCount;
    }

    /// @inheritdoc IDataMarket
    function collectionCount() external view returns (uint256) {
        return _collectionCount;
    }

    /// @inheritdoc IDataMarket
    function batchCount() external view returns (uint256) {
        return _batchCount;
    }

    /// @inheritdoc IDataMarket
    function hasAccess(uint256 listingId, address account) external view returns (bool) {
        return _access[listingId][account];
    }

    /// @inheritdoc IDataMarket
    function revenueOf(address account) external view returns (uint256) {
        return _revenue[account];
    }

    /// @inheritdoc IDataMarket
    function sharesOf(uint256 collectionId, address account) external view returns (uint256) {
        return _contributors[collectionId][account].shares;
    }

    /// @inheritdoc IDataMarket
    function pendingRevenue(uint256 collectionId, address account) external view returns (uint256) {
        Collection storage collection = _existingCollection(collectionId);
        Contributor storage contributor = _contributors[collectionId][account];
        uint256 accrued = contributor.shares * collection.accRevenuePerShare - contributor.rewardDebt;
        return contributor.owed + accrued / ACC_PRECISION;
    }

    /// @inheritdoc IDataMarket
    function publicKeyOf(address account) external view returns (bytes memory) {
        bytes32[2] storage key = _publicKeys[account];
        if (key[0] == bytes32(0) && key[1] == bytes32(0)) {
            return "";
        }
        return abi.encodePacked(key[0], key[1]);
    }

    /// @inheritdoc IDataMarket
    function wrappedKeyOf(uint256 purchaseId) external view returns (bytes memory) {
        _existingPurchase(purchaseId);
        return _wrappedKeys[purchaseId];
    }

    // ---------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------

    /// @dev Checks the listing and the key, records the purchase, then pulls the price.
    function _buy(uint256 listingId, bytes calldata buyerPublicKey) private returns (uint256 purchaseId) {
        Listing storage listing = _existingListing(listingId);
        if (!listing.active) {
            revert DataMarketListingInactive(listingId);
        }
        if (buyerPublicKey.length != PUBLIC_KEY_LENGTH) {
            revert DataMarketInvalidPublicKeyLength(buyerPublicKey.length);
        }
        address keyAddress = address(uint160(uint256(keccak256(buyerPublicKey))));
        if (keyAddress != msg.sender) {
            revert DataMarketPublicKeyMismatch(keyAddress, msg.sender);
        }

        uint256 price = listing.price;
        uint256 deliverBy = block.timestamp + listing.deliveryWindow;
        purchaseId = ++_purchaseCount;
        Purchase storage purchase = _purchases[purchaseId];
        purchase.buyer = msg.sender;
        // Block times fit in 64 bits for the next 500 billion years; the price is < 2**128 (createListing)
        // and listingId <= _listingCount, far below 2**64.
        purchase.paidAt = uint64(block.timestamp);
        purchase.amount = uint128(price);
        purchase.listingId = uint64(listingId);
        purchase.deliverBy = uint64(deliverBy);

        bytes32[2] storage known = _publicKeys[msg.sender];
        if (known[0] == bytes32(0) && known[1] == bytes32(0)) {
            // First purchase of this account: register its key (it can never change, it hashes to the address).
            _publicKeys[msg.sender] = [bytes32(buyerPublicKey[0:32]), bytes32(buyerPublicKey[32:64])];
        }
        emit Purchased(purchaseId, listingId, msg.sender, price, deliverBy, buyerPublicKey);
        _token.safeTransferFrom(msg.sender, address(this), price);
    }

    /// @dev Emits ListingCreated from the just-written (so warm, cheap to read) storage; the
    /// calldata arguments would not fit the stack next to the event's ten fields.
    function _emitListingCreated(uint256 listingId, Listing storage listing) private {
        emit ListingCreated(
            listingId,
            listing.owner,
            listing.collectionId,
            listing.price,
            listing.deliveryWindow,
            listing.labelled,
            listing.keyCommitment,
            listing.metadataCid,
            listing.dataCid,
            listing.license
        );
    }

    /// @dev Emits CollectionCreated from the just-written (so warm, cheap to read) storage;
    /// the calldata arguments would not fit the stack next to the event's nine fields.
    function _emitCollectionCreated(uint256 collectionId, Collection storage collection) private {
        emit CollectionCreated(
            collectionId,
            collection.curator,
            collection.schemaCid,
            collection.curatorCutBps,
            collection.reviewWindow,
            collection.maxRowsPerBatch,
            collection.stakePerBatch,
            collection.bountyPerRow,
            collection.maxBountyRowsPerContributor
        );
    }

    /**
     * @dev Splits a delivered sale of a collection version: the curator's cut to
     * the curator's revenue balance, the rest over the shares. With no shares
     * yet, everything goes to the curator. The part that does not divide evenly
     * by totalShares is kept (scaled) in accRemainder and joins the next sale,
     * so no unit is lost or created.
     */
    function _distributeSale(uint256 collectionId, uint256 purchaseId, uint256 amount) private {
        Collection storage collection = _collections[collectionId];
        uint256 totalShares = collection.totalShares;
        uint256 curatorAmount = amount;
        uint256 contributorsAmount = 0;
        uint256 acc = collection.accRevenuePerShare;
        if (totalShares != 0) {
            curatorAmount = (amount * collection.curatorCutBps) / BPS_DENOMINATOR;
            contributorsAmount = amount - curatorAmount;
            uint256 scaled = contributorsAmount * ACC_PRECISION + collection.accRemainder;
            acc += scaled / totalShares;
            collection.accRevenuePerShare = acc;
            collection.accRemainder = scaled % totalShares;
        }
        emit CollectionSaleDistributed(purchaseId, collectionId, curatorAmount, contributorsAmount, acc);
        _creditRevenue(collection.curator, purchaseId, curatorAmount);
    }

    /**
     * @dev Accepts a pending batch: rows become shares, the stake is returned and
     * the bounty paid (both to `owed`, paid by claim). The new shares start with
     * a reward debt of `rows * acc`, so they earn only from later sales; the
     * contributor's earlier accrual `shares * acc - rewardDebt` is unchanged,
     * which is the "harvest first" rule of MasterChef without a transfer.
     * With a cap, only the rows that take the contributor's accepted rows (its
     * shares) up to `maxBountyRowsPerContributor` earn a bounty: shares grow only
     * here, so `min(shares, cap)` rows have already used the cap.
     */
    function _acceptBatch(uint256 batchId, Batch storage batch, Collection storage collection, bool settled)
        private
    {
        uint256 collectionId = batch.collectionId;
        address account = batch.contributor;
        uint256 rows = batch.rows;
        batch.status = BatchStatus.Accepted;
        Contributor storage contributor = _contributors[collectionId][account];

        uint256 bounty = _bountyFor(collection, contributor.shares, rows);
        uint256 stake = collection.stakePerBatch;
        // Cannot underflow: _bountyFor never returns more than the fund.
        unchecked {
            collection.bountyFund -= bounty;
        }
        collection.totalShares += rows;

        contributor.shares += rows;
        contributor.rewardDebt += rows * collection.accRevenuePerShare;
        contributor.owed += bounty + stake;
        emit BatchAccepted(batchId, collectionId, account, rows, bounty, stake, settled);
    }

    /**
     * @dev The bounty for accepting `rows` more rows from a contributor that has
     * `earlier` accepted rows: `rows * bountyPerRow`, counting with a cap only the
     * rows below `maxBountyRowsPerContributor`, and never more than the fund.
     */
    function _bountyFor(Collection storage collection, uint256 earlier, uint256 rows)
        private
        view
        returns (uint256 bounty)
    {
        uint256 cap = collection.maxBountyRowsPerContributor;
        if (cap != 0) {
            uint256 left;
            // Cannot underflow: the subtraction runs only when earlier < cap.
            unchecked {
                left = earlier < cap ? cap - earlier : 0;
            }
            if (rows > left) {
                rows = left;
            }
        }
        bounty = rows * collection.bountyPerRow;
        uint256 fund = collection.bountyFund;
        if (bounty > fund) {
            bounty = fund;
        }
    }

    function _creditRevenue(address account, uint256 purchaseId, uint256 amount) private {
        if (amount != 0) {
            _revenue[account] += amount;
            emit RevenueCredited(account, purchaseId, amount);
        }
    }

    function _requirePending(uint256 purchaseId, PurchaseStatus status) private pure {
        if (status == PurchaseStatus.Delivered) {
            revert DataMarketAlreadyDelivered(purchaseId);
        }
        if (status == PurchaseStatus.Refunded) {
            revert DataMarketAlreadyRefunded(purchaseId);
        }
    }

    function _requireBatchPending(uint256 batchId, BatchStatus status) private pure {
        if (status == BatchStatus.Accepted) {
            revert DataMarketBatchAlreadyAccepted(batchId);
        }
        if (status == BatchStatus.Rejected) {
            revert DataMarketBatchAlreadyRejected(batchId);
        }
    }

    function _checkLength(string memory field, uint256 length, uint256 minLength, uint256 maxLength) private pure {
        if (length < minLength || length > maxLength) {
            revert DataMarketInvalidLength(field, length, minLength, maxLength);
        }
    }

    function _existingListing(uint256 listingId) private view returns (Listing storage) {
        if (listingId == 0 || listingId > _listingCount) {
            revert DataMarketUnknownListing(listingId);
        }
        return _listings[listingId];
    }

    function _existingPurchase(uint256 purchaseId) private view returns (Purchase storage) {
        if (purchaseId == 0 || purchaseId > _purchaseCount) {
            revert DataMarketUnknownPurchase(purchaseId);
        }
        return _purchases[purchaseId];
    }

    function _existingCollection(uint256 collectionId) private view returns (Collection storage) {
        if (collectionId == 0 || collectionId > _collectionCount) {
            revert DataMarketUnknownCollection(collectionId);
        }
        return _collections[collectionId];
    }

    function _existingBatch(uint256 batchId) private view returns (Batch storage) {
        if (batchId == 0 || batchId > _batchCount) {
            revert DataMarketUnknownBatch(batchId);
        }
        return _batches[batchId];
    }
}
