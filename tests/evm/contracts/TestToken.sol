// SPDX-License-Identifier: MIT
// A minimal ERC-20 for the gateway's devnet and tests. Not for real money:
// anyone may mint. Besides the standard calls it has batchTransfer (several
// Transfer logs in one transaction, so positions within a receipt can be
// tested) and transferThenRevert (emits a Transfer, then reverts: the log
// must never reach a scanner).
pragma solidity ^0.8.20;

contract TestToken {
	string public constant name = "Cryptic Test Token";
	string public constant symbol = "CTT";
	uint8 public immutable decimals;
	uint256 public totalSupply;

	mapping(address => uint256) public balanceOf;
	mapping(address => mapping(address => uint256)) public allowance;

	event Transfer(address indexed from, address indexed to, uint256 value);
	event Approval(address indexed owner, address indexed spender,
	    uint256 value);
	// A second event kind, so receipts hold logs that are not transfers.
	event Note(uint256 value);

	constructor(uint8 decimals_) {
		decimals = decimals_;
	}

	function mint(address to, uint256 value) external {
		totalSupply += value;
		balanceOf[to] += value;
		emit Transfer(address(0), to, value);
	}

	function transfer(address to, uint256 value) external returns (bool) {
		_move(msg.sender, to, value);
		return true;
	}

	function approve(address spender, uint256 value) external returns (bool) {
		allowance[msg.sender][spender] = value;
		emit Approval(msg.sender, spender, value);
		return true;
	}

	function transferFrom(address from, address to, uint256 value)
	    external returns (bool) {
		uint256 allowed = allowance[from][msg.sender];
		require(allowed >= value, "allowance");
		if (allowed != type(uint256).max)
			allowance[from][msg.sender] = allowed - value;
		_move(from, to, value);
		return true;
	}

	// One Note log first, then one Transfer per recipient: the transfers
	// sit at receipt positions 1..n.
	function batchTransfer(address[] calldata to, uint256[] calldata value)
	    external {
		require(to.length == value.length, "lengths");
		emit Note(to.length);
		for (uint256 i = 0; i < to.length; i++)
			_move(msg.sender, to[i], value[i]);
	}

	function transferThenRevert(address to, uint256 value) external {
		_move(msg.sender, to, value);
		revert("reverted on purpose");
	}

	// A Transfer log with an amount no DECIMAL(36,18) column holds (no
	// balance moves: it only tests how scanners treat such a log).
	function emitHuge(address to, uint256 value) external {
		emit Transfer(msg.sender, to, value);
	}

	function _move(address from, address to, uint256 value) internal {
		require(balanceOf[from] >= value, "balance");
		balanceOf[from] -= value;
		balanceOf[to] += value;
		emit Transfer(from, to, value);
	}
}
