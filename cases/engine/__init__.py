"""つなぎの仕組み (the referral engine): rules that find cases where one program should
bring in another, the flags they raise, their evaluation and tasks, and the flag pages."""
