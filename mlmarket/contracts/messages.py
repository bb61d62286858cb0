"""Sentences for Solidity custom errors, by error name.

Templates use the error's argument names; ``{x:tokens}`` shows raw units as
whole tokens and ``{x:account}`` adds the account's name. Errors without a
template still get a readable sentence built from their name and arguments.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # OpenZeppelin ERC-20 (IERC6093)
    "ERC20InsufficientBalance": (
        "{sender:account} has {balance:tokens} but needs {needed:tokens}. "
        "Get more tokens first or send less."
    ),
    "ERC20InsufficientAllowance": (
        "{spender:account} may spend only {allowance:tokens} of the owner's tokens but needs "
        "{needed:tokens}. Approve more first, or pay with a permit."
    ),
    "ERC20InvalidReceiver": "Tokens cannot go to {receiver}; pass a real account address.",
    "ERC20InvalidSender": "Tokens cannot come from {sender}; pass a real account address.",
    "ERC20InvalidApprover": "{approver} cannot approve spending; pass a real account address.",
    "ERC20InvalidSpender": "{spender} cannot be approved as a spender; pass a real address.",
    # OpenZeppelin ERC-2612 permit
    "ERC2612ExpiredSignature": (
        "The permit expired at {deadline} (Unix time); sign a new one with a later deadline."
    ),
    "ERC2612InvalidSigner": (
        "The permit was signed by {signer:account}, not by the owner {owner:account}; "
        "sign it with the owner's key and the current nonce."
    ),
    "InvalidAccountNonce": (
        "{account:account} used nonce {currentNonce}'s predecessor or successor; "
        "sign again with the current nonce."
    ),
    # MarketToken
    "MarketTokenLengthMismatch": (
        "{recipients} recipients but {amounts} amounts were given; pass one amount per recipient."
    ),
    "MarketTokenNoRecipients": "The token needs at least one recipient for its fixed supply.",
    # Competition (phases: 0 Submission, 1 Reveal, 2 TestReveal, 3 Evaluation,
    # 4 DefaultEvaluation, 5 Finalized)
    "CompetitionNotInPhase": (
        "This step needs phase {expected} but the competition is in phase {actual} "
        "(0 Submission, 1 Reveal, 2 TestReveal, 3 Evaluation, 4 DefaultEvaluation, "
        "5 Finalized). Check phase() and the deadlines in params(), then act when the right "
        "phase has come."
    ),
    "CompetitionZeroReward": "A competition needs a reward above zero; pass a positive reward.",
    "CompetitionInvalidDeadlines": (
        "The deadlines must be in the future and in order: now ({currentTime}) < submissionEnd "
        "({submissionEnd}) < revealEnd ({revealEnd}) < testRevealEnd ({testRevealEnd}) < "
        "evaluationEnd ({evaluationEnd}), all Unix seconds. Fix the deadlines and create it again."
    ),
    "CompetitionInvalidTestSet": (
        "The test set needs a non-zero Merkle root, at least one sample and at least one sample "
        "per chunk (got root {testRoot}, {samples} samples, chunk size {chunkSize})."
    ),
    "CompetitionInvalidTask": (
        "The task needs at least one feature and 0 classes (regression) or at least 2 "
        "(got {features} features, {classes} classes)."
    ),
    "CompetitionInvalidMaxModelSize": (
        "A maximum model size of {maxModelSize} bytes is not allowed; choose 1 to {limit} bytes."
    ),
    "CompetitionInvalidModelBudget": (
        "A model budget of zero admits no model; give one encoded as the family's evaluator "
        "reads it (mlmarket.ml.budgets)."
    ),
    "LinearEvaluatorModelOverBudget": (
        "The model's weights are {weightBytes} bytes wide, above this competition's budget of "
        "{maxWeightBytes}; export it with narrower weights. A model above the budget cannot be "
        "revealed."
    ),
    "MlpEvaluatorModelOverBudget": (
        "The network needs {macs} multiply-accumulates per row with {units} units, above this "
        "competition's budget of {maxMacs} and {maxUnits}; use fewer or smaller hidden layers. "
        "A model above the budget cannot be revealed."
    ),
    "TreeEvaluatorModelOverBudget": (
        "The model has {trees} trees, {nodes} nodes and walks up to {depth} nodes deep (0: not "
        "measured), above this competition's budget of {maxTrees} trees, {maxNodes} nodes and "
        "depth {maxDepth}; use fewer or shallower trees. A model above the budget cannot be "
        "revealed."
    ),
    "CompetitionInvalidPayoutSplit": (
        "The payout split has {places} places summing to {totalBps} basis points; use 1 to 10 "
        "places that sum to exactly 10000 (e.g. [6000, 3000, 1000])."
    ),
    "CompetitionNoTrainingData": (
        "Say where the training data is: give a training-data CID or a DataMarket listing id."
    ),
    "CompetitionInvalidTrainingSet": (
        "The training data needs a commitment: a non-zero Merkle root (got {trainingRoot}) over "
        "at least one sample (got {trainingSamples}); market.competitions.create computes both."
    ),
    "CompetitionCreatorCannotCommit": (
        "{creator:account} created this competition and cannot take part in it."
    ),
    "CompetitionSubmissionCapReached": (
        "{submitter:account} already made {cap} submissions, the most this competition allows "
        "per account."
    ),
    "CompetitionPeriodCapReached": (
        "{submitter:account} already made {cap} submissions in this period, the most this "
        "competition allows per period; the next period opens at {nextEntryAt:time} (chain time)."
    ),
    "CompetitionInvalidMetric": (
        "Metric {metric} does not suit a task with {classes} classes (0 accuracy, 1 MSE, "
        "2 balanced accuracy, 3 macro F1, 4 MAE): classification takes 0, 2 or 3, regression "
        "(0 classes) 1 or 4."
    ),
    "CompetitionTooManyClassesForMetric": (
        "Balanced accuracy and macro F1 keep two counts per class on chain, for at most "
        "{limit} classes; this task has {classes}. Use accuracy, or merge rare classes."
    ),
    "CompetitionInvalidPeriod": (
        "A cap of {entriesPerPeriod} entries per period needs a period of at least one second "
        "(got {periodLength}); give period= in seconds."
    ),
    "CompetitionInvalidFinals": (
        "Select between 1 and {limit} finals (got {count}); with 0 allowed, every submission "
        "is evaluated and there is nothing to select."
    ),
    "CompetitionNotSubmitter": (
        "Submission {id} is not {caller:account}'s: select only your own submissions as finals."
    ),
    "CompetitionDuplicateFinal": "Submission {id} is listed twice; list each final once.",
    "CompetitionNotFinal": (
        "Submission {id} is not one of its submitter's finals, so it is neither evaluated nor "
        "ranked; evaluate only finals (isFinal)."
    ),
    "CompetitionUnknownSubmission": (
        "There is no submission {id}; ids start at 1 and go up to submissionCount()."
    ),
    "CompetitionAlreadyRevealed": "Submission {id} is already revealed; reveal it only once.",
    "CompetitionModelTooLarge": (
        "The model of submission {id} is {size} bytes, above this competition's maximum of "
        "{maxModelSize} bytes. It cannot be revealed; the entry stake stays in the prize pool."
    ),
    "CompetitionCommitmentMismatch": (
        "The model bytes and salt revealed by {caller:account} do not match the commitment of "
        "submission {id}. Reveal from the account that committed, with exactly the model bytes "
        "and salt it committed to."
    ),
    "CompetitionNotCreator": (
        "Only the creator may reveal the test set; {caller:account} is not the creator."
    ),
    "CompetitionChunkOutOfRange": (
        "There is no test chunk {chunkIndex}; the test set has {chunkCount} chunks (0 to "
        "chunkCount() - 1)."
    ),
    "CompetitionInvalidChunkProof": (
        "Chunk {chunkIndex} and its Merkle proof do not match the committed root at that "
        "position (the test root, or after a creator default the training root): use the chunk "
        "bytes exactly as published, its index and the proof for that index."
    ),
    "CompetitionInvalidBatch": (
        "evaluate() got {ids} submission ids and {models} models; pass at least one id and "
        "exactly one model per id, in the same order."
    ),
    "CompetitionNotRevealed": (
        "Submission {id} was never revealed, so it cannot be evaluated; leave it out."
    ),
    "CompetitionModelMismatch": (
        "The model bytes given for submission {id} are not the ones it revealed; take them "
        "from its SubmissionRevealed event."
    ),
    "CompetitionChunkAlreadyEvaluated": (
        "Submission {id} was already scored on chunk {chunkIndex} (isEvaluated() says so); "
        "leave it out of this batch."
    ),
    "CompetitionChunkRowsMismatch": (
        "The evaluator read {actual} rows from chunk {chunkIndex}, but that chunk must hold "
        "{expected}. The test set does not match the competition's sample count and chunk size."
    ),
    "CompetitionEvaluatorResultMismatch": (
        "The evaluator returned {actual} scores for {expected} models; the evaluator is faulty."
    ),
    "CompetitionAlreadyFinalized": (
        "The competition is already finalized; claim() your payout instead."
    ),
    "CompetitionAlreadyClaimed": "{account:account} already claimed its payout.",
    "CompetitionNothingToClaim": (
        "{account:account} has no payout in this competition (claimable() is 0)."
    ),
    # Competition factory
    "CompetitionFactoryInvalidImplementation": (
        "The factory needs a deployed Competition implementation; {implementation} has no code."
    ),
    "CompetitionFactoryUnknownFamily": (
        "No evaluator is registered for model family {family}; ask the factory owner to "
        "register one (evaluatorOf() shows what exists)."
    ),
    "CompetitionFactoryFamilyMismatch": (
        "That evaluator scores family {actual}, not {expected}; register it under its own family."
    ),
    "CompetitionFactoryIndexOutOfRange": (
        "There is no competition at index {index}; the factory created {count} (indexes 0 to "
        "competitionCount() - 1)."
    ),
    "CompetitionFactoryNoScoreClaims": (
        "Optimistic evaluation needs the factory's ScoreClaims contract, and none is registered; "
        "create the competition with on-chain evaluation or ask the factory owner to register one."
    ),
    "CompetitionFactoryInvalidOptimistic": (
        "Optimistic evaluation needs a challenge window of at least an hour that ends 10 minutes "
        "before the evaluation deadline when the test set is revealed at its deadline "
        "({challengeWindow} s given), a claim bond of at least 1 % of the "
        "reward ({claimBond:tokens} given) and a positive challenge bond ({challengeBond:tokens})."
    ),
    "CompetitionFactoryInvalidPublicBoard": (
        "A public leaderboard needs public test rows ({publicSamples} given), a public-claim "
        "bond above zero ({publicClaimBond:tokens} given) and a public window of at least an "
        "hour that ends before the test-reveal deadline ({publicWindow} s after the reveal "
        "deadline given); without a public root all three are zero."
    ),
    "CompetitionFactoryInvalidStakes": (
        "Performance stakes slash a share of the entry stake: they need an entry stake above "
        "zero ({entryStake:tokens} given) and a slash of at most 10000 basis points "
        "({slashBps} given)."
    ),
    "CompetitionFactoryInvalidMergerDeadline": (
        "The merger deadline {mergerDeadline:time} is after the submission deadline "
        "{submissionEnd:time}; teams must be fixed when submissions close (0 = the submission "
        "deadline)."
    ),
    "CompetitionAlreadyCompleted": (
        "Submission {id} already has its final score (scored on every chunk, or by a claim that "
        "stood); leave it out."
    ),
    "CompetitionNotScoreClaims": (
        "Only the competition's ScoreClaims contract completes submissions by claim; "
        "{caller:account} is not it. Post a claim with comp.claim_scores() instead."
    ),
    # Competition: public leaderboard and performance stakes
    "CompetitionPublicChecksOpen": (
        "The private test set can be revealed only from {opensAt:time}: until then (the public "
        "window after the reveal deadline) public claims can still be challenged on the "
        "revealed models. Reveal it then, before the test-reveal deadline."
    ),
    "CompetitionNoStakeHeld": (
        "Submission {id} holds no performance stake to withdraw: it was not a revealed final, "
        "its stake was already withdrawn, or the competition is not finalized yet (stakeOf() "
        "says what it would pay)."
    ),
    # Competition teams and mergers (CompetitionTeams)
    "CompetitionTeamsNotAllowed": (
        "This competition lets one account hold several prize places (multiple_places), so it "
        "takes no teams: a team must hold one place. Compete alone, or in a competition "
        "created with multiple_places=False."
    ),
    "CompetitionInvalidTeam": (
        "A team needs 1 to {limit} distinct members, the proposer among them and the creator "
        "not, with positive shares summing to 10000 basis points (got {members} members and "
        "{totalBps} basis points)."
    ),
    "CompetitionMergerClosed": (
        "Teams form and merge only before the merger deadline, {deadline:time}; after it "
        "every entrant competes as it is."
    ),
    "CompetitionUnknownTeam": (
        "No team {team:account} was proposed in this competition; comp.teams() lists those "
        "that were."
    ),
    "CompetitionCannotAccept": (
        "{account:account} cannot accept team {team:account}: only its members accept it, "
        "each once."
    ),
    "CompetitionTeamAlreadyFormed": (
        "Team {team:account} has already formed: every member accepted it."
    ),
    "CompetitionTeamSplit": (
        "{member:account} belongs to team {entrant:account}, which would be split: a team "
        "merges whole, with every member (and its commits)."
    ),
    "CompetitionTeamFrozen": (
        "Team {entrant:account} has committed, so its members and shares are fixed: it can "
        "only merge with another team or account."
    ),
    "CompetitionMergeOverCap": (
        "The merged teams made {entries} submissions but the rules allow {allowed} by now "
        "(the cap per period times the periods so far, and the cap per entrant); merge later, "
        "when the allowance has grown, or not at all."
    ),
    # ScoreClaims (optimistic evaluation)
    "ScoreClaimsNotOptimistic": (
        "{competition} is not an optimistic competition of this market; score it with "
        "comp.evaluate()."
    ),
    "ScoreClaimsNotInEvaluation": (
        "Score claims are posted in the evaluation phase (after the test set is revealed, "
        "before the evaluation deadline); the competition is in phase {actual}."
    ),
    "ScoreClaimsNotEvaluable": (
        "Submission {id} is not a revealed final, so it is never scored; claim only revealed "
        "finals."
    ),
    "ScoreClaimsAlreadyCompleted": "Submission {id} already has its final score; nothing to claim.",
    "ScoreClaimsTooLate": (
        "A claim posted now would stay open until {windowEnd:time}, not 10 minutes before the "
        "evaluation deadline {evaluationEnd:time} (time to settle it); evaluate on chain instead."
    ),
    "ScoreClaimsInvalidLeaves": (
        "The claim needs {expected} leaf words (words per leaf times chunks) but has {actual}; "
        "build it with mlmarket.ml.claims.SumTree."
    ),
    "ScoreClaimsUnknownClaim": (
        "There is no claim {claimId}; ids start at 1 and go up to claimCount()."
    ),
    "ScoreClaimsNotOpen": (
        "Claim {claimId} is no longer open (status {status}: 2 voided, 3 final, 4 closed)."
    ),
    "ScoreClaimsWindowClosed": (
        "The challenge window of claim {claimId} closed at {windowEnd:time}; challenges are no "
        "longer accepted (settle it instead)."
    ),
    "ScoreClaimsWindowOpen": (
        "Claim {claimId} can be challenged until {windowEnd:time}; settle it after that."
    ),
    "ScoreClaimsNotFirst": (
        "Claim {earlier}, posted earlier for the same submission, is still open: settle it first."
    ),
    "ScoreClaimsInvalidOpening": (
        "The opening of chunk {chunkIndex} does not lead to claim {claimId}'s root: use the "
        "claimer's leaf at that position and its path (mlmarket.ml.claims.SumTree.opening)."
    ),
    "ScoreClaimsInvalidChunk": (
        "Chunk {chunkIndex} and its proof do not match the competition's test root at that "
        "position; use the revealed chunk bytes and the proof for that index."
    ),
    "ScoreClaimsOutOfGas": (
        "The evaluator ran out of gas scoring the challenged chunk, so the challenge cannot "
        "tell a refused chunk from a starved call; send it again with more gas."
    ),
    # ScoreClaims (public leaderboard)
    "ScoreClaimsNoPublicBoard": (
        "{competition} has no public leaderboard, so it takes no public claims (a competition "
        "created with public_size= has one)."
    ),
    "ScoreClaimsNotInSubmission": (
        "Public claims are posted in the submission phase, with the commit; the competition "
        "is in phase {actual} (0 Submission, 1 Reveal, 2 TestReveal, 3 Evaluation, "
        "4 DefaultEvaluation, 5 Finalized)."
    ),
    "ScoreClaimsNotEntrant": (
        "{caller:account} may not post submission {id}'s public claim: only the account that "
        "committed it (or a member of its team) may."
    ),
    "ScoreClaimsPublicClaimExists": (
        "Submission {id} already has its public claim, claim {claimId}: one per submission."
    ),
    "ScoreClaimsNotRevealed": (
        "Submission {id}'s model is not revealed yet, so its public claim cannot be checked; "
        "challenge it after the reveal, before the private test set is revealed."
    ),
    "CompetitionFactoryScoreClaimsMismatch": (
        "{scoreClaims} serves another factory; register a ScoreClaims deployed for this one."
    ),
    "ScoreClaimsModelMismatch": (
        "The model bytes given are not submission {id}'s revealed model; take them from its "
        "SubmissionRevealed event."
    ),
    # OpenZeppelin Initializable and Ownable (used by the competition contracts)
    "InvalidInitialization": (
        "This contract is already initialized (or is the locked implementation); create "
        "competitions through the CompetitionFactory instead."
    ),
    "OwnableUnauthorizedAccount": "Only the owner may do this; {account:account} is not the owner.",
    "OwnableInvalidOwner": (
        "{owner} cannot own the factory; pass a real account address as the initial owner."
    ),
    "FailedDeployment": (
        "Creating the competition's clone failed; check that the factory's implementation "
        "address holds the Competition contract."
    ),
    # DataMarket (and the OpenZeppelin helpers it uses)
    "ReentrancyGuardReentrantCall": (
        "The contract was called again while it was still running (a reentrant call); "
        "that is refused. Send the calls one after the other."
    ),
    "SafeERC20FailedOperation": (
        "The token {token} refused a transfer (it returned false); check the balance and "
        "the allowance."
    ),
    "DataMarketInvalidToken": (
        "The DataMarket needs the address of a deployed token contract; {token} has no code."
    ),
    "DataMarketUnknownListing": (
        "There is no listing {listingId}; listing ids start at 1 (see listingCount())."
    ),
    "DataMarketUnknownPurchase": (
        "There is no purchase {purchaseId}; purchase ids start at 1 (see purchaseCount())."
    ),
    "DataMarketUnknownCollection": (
        "There is no collection {collectionId}; collection ids start at 1 (see collectionCount()). "
        "Use 0 for a listing that is not part of a collection."
    ),
    "DataMarketUnknownBatch": (
        "There is no batch {batchId}; batch ids start at 1 (see batchCount())."
    ),
    "DataMarketNotListingOwner": (
        "Only the owner of listing {listingId} can do this; {caller:account} is not the owner."
    ),
    "DataMarketNotBuyer": (
        "Only the buyer of purchase {purchaseId} can do this; {caller:account} did not buy it."
    ),
    "DataMarketNotCurator": (
        "Only the curator of collection {collectionId} can do this; {caller:account} is not "
        "the curator."
    ),
    "DataMarketListingInactive": (
        "Listing {listingId} is not for sale at the moment (its owner deactivated it); "
        "no new purchases are accepted."
    ),
    "DataMarketInvalidLength": (
        "The {field} is {length} bytes long; it must be between {minLength} and {maxLength} bytes."
    ),
    "DataMarketInvalidDeliveryWindow": (
        "A delivery window of {window} seconds is not allowed; choose 1 to {maxWindow} seconds "
        "(at most 30 days)."
    ),
    "DataMarketZeroKeyCommitment": (
        "The key commitment is empty (all zeros); pass the commitment to the data key, "
        "mlmarket.crypto.key_commitment(key, dataset_id)."
    ),
    "DataMarketAmountTooHigh": (
        "{amount:tokens} is more than this amount can hold (at most {maxAmount:tokens}); "
        "use a smaller amount."
    ),
    "DataMarketInvalidPublicKeyLength": (
        "The public key is {length} bytes but must be exactly 64: the uncompressed secp256k1 "
        "key without the 0x04 prefix, e.g. mlmarket.crypto.public_key_of(private_key)."
    ),
    "DataMarketPublicKeyMismatch": (
        "That public key belongs to {keyAddress:account}, not to the sender {caller:account}. "
        "Buy with your own public key: the data key will be wrapped to it."
    ),
    "DataMarketAlreadyDelivered": (
        "Purchase {purchaseId} was already delivered; it cannot be delivered or refunded again."
    ),
    "DataMarketAlreadyRefunded": (
        "Purchase {purchaseId} was already refunded; it cannot be delivered, refunded again "
        "or complained about."
    ),
    "DataMarketNotDeliveredYet": (
        "Purchase {purchaseId} has not been delivered yet; a complaint is possible only after "
        "delivery (if it is never delivered, refund it once the deadline has passed)."
    ),
    "DataMarketDeliveryTooLate": (
        "The delivery deadline of purchase {purchaseId} passed at {deliverBy} (Unix time); "
        "it can no longer be delivered, and the buyer can take a refund."
    ),
    "DataMarketRefundTooEarly": (
        "Purchase {purchaseId} can be refunded only from {deliverBy} (Unix time) on, if it is "
        "still not delivered; the seller may deliver until then."
    ),
    "DataMarketAlreadyComplained": (
        "The buyer already complained about purchase {purchaseId}; one complaint per purchase."
    ),
    "DataMarketNothingToWithdraw": (
        "{account:account} has no revenue to withdraw; revenue comes from delivered sales "
        "(and curator cuts)."
    ),
    "DataMarketNothingToClaim": (
        "{account:account} has nothing to claim from collection {collectionId}; earnings come "
        "from accepted batches (stake, bounty) and from later sales of the collection."
    ),
    "DataMarketInvalidCuratorCut": (
        "A curator cut of {bps} basis points is more than 100 %; choose 0 to {maxBps} "
        "(e.g. 1000 = 10 %)."
    ),
    "DataMarketInvalidReviewWindow": (
        "A review window of {window} seconds is not allowed; choose 1 to {maxWindow} seconds "
        "(at most 30 days)."
    ),
    "DataMarketInvalidRowCap": (
        "A row cap of {maxRows} rows per batch is not allowed; choose 1 to {limit}."
    ),
    "DataMarketInvalidRowCount": (
        "A batch of {rows} rows is not allowed in collection {collectionId}; send 1 to "
        "{maxRows} rows per batch (split larger contributions)."
    ),
    "DataMarketCuratorCannotContribute": (
        "{curator:account} curates collection {collectionId}, so it cannot contribute to it: "
        "the curator reviews every batch and would be accepting its own (bounty and shares). "
        "Contributions must come from other accounts."
    ),
    "DataMarketZeroAmount": "The amount is zero; pass a positive number of tokens.",
    "DataMarketBatchAlreadyAccepted": (
        "Batch {batchId} was already accepted; a batch is decided only once."
    ),
    "DataMarketBatchAlreadyRejected": (
        "Batch {batchId} was already rejected; a batch is decided only once."
    ),
    "DataMarketReviewWindowClosed": (
        "The review window of batch {batchId} closed at {reviewBy} (Unix time), so the batch "
        "counts as accepted: call settleBatch({batchId}) to settle it."
    ),
    "DataMarketReviewWindowOpen": (
        "Batch {batchId} can be settled only from {reviewBy} (Unix time) on; until then the "
        "curator may still review it."
    ),
    # Every evaluator: arguments and chunks (IEvaluatorErrors)
    "EvaluatorInvalidArguments": (
        "The evaluator scores 1..4096 features and 0 (regression) or 2..255 classes; "
        "it was called with features={features}, classes={classes}."
    ),
    "EvaluatorChunkTruncated": (
        "The test-set chunk has only {length} bytes, less than its 11-byte header; "
        "build chunks with mlmarket.ml.TestSet."
    ),
    "EvaluatorChunkBadMagic": (
        'The test-set chunk starts with {magic}, not the magic "MLC"; it is not a chunk.'
    ),
    "EvaluatorChunkUnsupportedVersion": (
        "The test-set chunk has format version {version}; this evaluator reads version 1."
    ),
    "EvaluatorChunkFeaturesMismatch": (
        "The test-set chunk has {found} features per row, but the competition declared {expected}."
    ),
    "EvaluatorChunkLabelKindMismatch": (
        "The test-set chunk's label kind {labelKind} does not suit classes={classes} "
        "(0 = class indices for classification, 1 = int32 for regression)."
    ),
    "EvaluatorChunkLengthMismatch": (
        "The test-set chunk has {actual} bytes, but its header implies {expected}; it is "
        "truncated or padded."
    ),
    "EvaluatorLabelOutOfRange": (
        "Row {row} of the test-set chunk has class {label}, but there are only {classes} classes."
    ),
    # LinearEvaluator
    "LinearEvaluatorModelTruncated": (
        "Model {model} has only {length} bytes, less than its 13-byte header; export it with "
        "mlmarket.ml.export."
    ),
    "LinearEvaluatorModelBadMagic": (
        'Model {model} starts with {magic}, not "MLM"; it is not a model.'
    ),
    "LinearEvaluatorModelUnsupportedVersion": (
        "Model {model} has format version {version}; this evaluator reads version 1."
    ),
    "LinearEvaluatorModelWrongFamily": (
        "Model {model} is of family {family}; this evaluator scores linear models (family 1)."
    ),
    "LinearEvaluatorModelShapeMismatch": (
        "Model {model} (task {task}, {classes} classes, {outputs} outputs) does not suit a "
        "competition with {expectedClasses} classes; export it with the competition's quantizer."
    ),
    "LinearEvaluatorModelFeaturesMismatch": (
        "Model {model} has {found} features, but the competition declared {expected}."
    ),
    "LinearEvaluatorModelBadWidth": (
        "Model {model} has {weightBytes}-byte weights and {biasBytes}-byte biases; weights "
        "take 1..4 bytes and biases 1..8."
    ),
    "LinearEvaluatorModelBadShift": (
        "Model {model} has shift {shift}; regression models allow 0..63, classifiers only 0."
    ),
    "LinearEvaluatorModelLengthMismatch": (
        "Model {model} has {actual} bytes, but its header implies {expected}; it is truncated "
        "or padded."
    ),
    # MlpEvaluator and TreeEvaluator
    "MlpEvaluatorModelTruncated": (
        "Model {model} has only {length} bytes, less than its 16-byte header; export it with "
        "mlmarket.ml.export."
    ),
    "MlpEvaluatorModelBadMagic": (
        'Model {model} starts with {magic}, not "MLM"; it is not a model.'
    ),
    "MlpEvaluatorModelUnsupportedVersion": (
        "Model {model} has format version {version}; this evaluator reads version 1."
    ),
    "MlpEvaluatorModelWrongFamily": (
        "Model {model} is of family {family}; this evaluator scores MLPs (family 2)."
    ),
    "MlpEvaluatorModelShapeMismatch": (
        "Model {model} (task {task}, {classes} classes, {outputs} outputs) does not suit a "
        "competition with {expectedClasses} classes; export it with the competition's quantizer."
    ),
    "MlpEvaluatorModelFeaturesMismatch": (
        "Model {model} has {found} features, but the competition declared {expected}."
    ),
    "MlpEvaluatorModelBadLayers": (
        "Model {model} declares {layers} hidden layers of {hidden1} and {hidden2} units; an MLP "
        "has 1 or 2 hidden layers of 1..255 units (hidden2 = 0 with one layer)."
    ),
    "MlpEvaluatorModelBadShift": (
        "Model {model} has shifts {shift1}, {shift2} and output shift {outShift}; each is 0..63, "
        "shift2 is 0 with one hidden layer and the output shift 0 for classifiers."
    ),
    "MlpEvaluatorModelLengthMismatch": (
        "Model {model} has {actual} bytes, but its header implies {expected}; it is truncated "
        "or padded."
    ),
    "TreeEvaluatorModelTruncated": (
        "Model {model} has only {length} bytes, less than its 10-byte header; export it with "
        "mlmarket.ml.export."
    ),
    "TreeEvaluatorModelBadMagic": (
        'Model {model} starts with {magic}, not "MLM"; it is not a model.'
    ),
    "TreeEvaluatorModelUnsupportedVersion": (
        "Model {model} has format version {version}; this evaluator reads version 1."
    ),
    "TreeEvaluatorModelWrongFamily": (
        "Model {model} is of family {family}; this evaluator scores trees (family 3)."
    ),
    "TreeEvaluatorModelShapeMismatch": (
        "Model {model} (task {task}, {classes} classes, {trees} trees) does not suit a "
        "competition with {expectedClasses} classes (regression takes exactly one tree)."
    ),
    "TreeEvaluatorModelFeaturesMismatch": (
        "Model {model} has {found} features, but the competition declared {expected}."
    ),
    "TreeEvaluatorModelTreeTruncated": (
        "Model {model} ends inside tree {tree} (its node count or its nodes)."
    ),
    "TreeEvaluatorModelEmptyTree": "Tree {tree} of model {model} has no nodes.",
    "TreeEvaluatorModelBadNode": (
        "Node {node} of tree {tree} of model {model} is invalid: a feature out of range, a "
        "right child not after its left subtree's start and inside the tree, or a leaf class "
        "out of range."
    ),
    "TreeEvaluatorModelLengthMismatch": (
        "Model {model} has {actual} bytes, but its trees end at {expected}; it is padded."
    ),
}
